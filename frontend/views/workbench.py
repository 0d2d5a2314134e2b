"""The moderators' workbench: duplicates (workbench_duplicates), automatic themes
(workbench_themes) and the synthesis editor (workbench_synthesis).

Only the campaign's moderators and organisers see these pages; anyone else gets a 404, as if
they did not exist, and anonymous visitors are sent to the login page first. Every POST calls
one action of consultation/actions and redirects; a refusal shows the page again with what was
typed and the reason on the field it concerns."""

from functools import wraps

from django.http import Http404

from consultation.models import Campaign
from frontend.views._common import breadcrumb, get_campaign, login_required_redirect


def workbench_page(view):
    """Log in first, then 404 unless the person moderates the campaign; the view receives the
    campaign instead of its slug."""

    @wraps(view)
    def wrapper(request, slug: str, *args, **kwargs):
        if (response := login_required_redirect(request, request.get_full_path())) is not None:
            return response
        campaign = get_campaign(request, slug)
        if not request.user.has_perm("consultation.moderate", campaign):
            raise Http404("Page introuvable.")
        return view(request, campaign, *args, **kwargs)

    return wrapper


def workbench_breadcrumb(campaign: Campaign, current: str, links=()) -> dict:
    return breadcrumb(current, campaign=campaign, links=links)


def workbench_context(campaign: Campaign, tab: str, **context) -> dict:
    """What every workbench template reads: the campaign and which tab is current."""
    return {"campaign": campaign, "workbench_tab": tab, **context}
