"""The home page and a campaign's page, with its contributions (filters, search, sort)."""

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, prefetch_related_objects
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from consultation.models import (
    Campaign,
    Comment,
    Contribution,
    StatementVote,
    Support,
    User,
)
from frontend.forms import ContributionFilterForm
from frontend.views._common import breadcrumb, get_campaign, may

CONTRIBUTIONS_PER_PAGE = 20

STATUS_BADGES = {
    Campaign.Status.PUBLISHED: "fr-badge--success",
    Campaign.Status.CLOSED: "fr-badge--info",
    Campaign.Status.ARCHIVED: "",
}


def _campaign_card(campaign: Campaign) -> dict:
    """The data of a dsfr_card for one campaign on the home page."""
    dates = _("Du %(start)s au %(end)s") % {
        "start": date_format(timezone.localtime(campaign.starts_at), "j F Y"),
        "end": date_format(timezone.localtime(campaign.ends_at), "j F Y"),
    }
    return {
        "title": campaign.title,
        "heading_tag": "h3",
        "description": campaign.summary,
        "description_max_length": 500,
        "title_max_length": 200,
        "link": campaign.get_absolute_url(),
        "top_detail": {
            "detail": {"text": campaign.organisation.name},
            "badges": [
                {
                    "label": campaign.get_status_display(),
                    "extra_classes": f"fr-badge--sm {STATUS_BADGES.get(campaign.status, '')}",
                }
            ],
        },
        "bottom_detail": {"text": dates, "icon_class": "fr-icon-calendar-line"},
    }


def home(request):
    campaigns = Campaign.objects.public().select_related("organisation")
    cards = [_campaign_card(campaign) for campaign in campaigns]
    return render(request, "frontend/home.html", {"cards": cards})


def campaign_figures(campaign: Campaign) -> dict:
    """Contributions, participants and workshops: one query each, whatever the volume."""
    published = Contribution.objects.filter(campaign=campaign).published()
    participants = User.objects.filter(
        Exists(published.filter(author=OuterRef("pk")))
        | Exists(Comment.objects.filter(contribution__campaign=campaign, author=OuterRef("pk")))
        | Exists(Support.objects.filter(contribution__campaign=campaign, user=OuterRef("pk")))
        | Exists(StatementVote.objects.filter(statement__campaign=campaign, user=OuterRef("pk")))
    )
    return {
        "contributions": published.count(),
        "participants": participants.count(),
        "workshops": campaign.workshops.count(),
    }


def campaign(request, slug: str):
    campaign = get_campaign(request, slug)
    prefetch_related_objects([campaign], "themes")  # read by the filters and the themes list
    filters = ContributionFilterForm(request.GET, campaign=campaign)
    filters.is_valid()  # errors are shown on their fields; the valid filters still apply
    contributions = filters.filter(
        Contribution.objects.filter(campaign=campaign).published().unmerged().for_listing()
    )
    page = Paginator(contributions, CONTRIBUTIONS_PER_PAGE).get_page(request.GET.get("page"))
    page.pages_list = list(page.paginator.get_elided_page_range(page.number))
    filtered = any(value for name, value in request.GET.items() if name not in {"page", "sort"})
    current_phase = campaign.current_phase()
    context = {
        "campaign": campaign,
        "breadcrumb_data": breadcrumb(campaign.title),
        "current_phase": current_phase,
        "themes": campaign.themes.all(),
        "figures": campaign_figures(campaign),
        "filters": filters,
        "filtered": filtered,
        "page_obj": page,
        "contributions_open": may(request.user, "contribute", campaign),
    }
    return render(request, "frontend/campaign.html", context)
