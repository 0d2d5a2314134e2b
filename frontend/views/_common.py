"""What every participation page shares: finding the campaign, sending anonymous people to the
login page, turning an action's refusal into a French message next to the right field or into
an alert on the next page."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from consultation.errors import ActionRefused, PermissionRefused
from consultation.models import Campaign, Contribution, Phase
from consultation.rules import POLICIES, has_verified_email, is_logged_in


def get_campaign(request: HttpRequest, slug: str) -> Campaign:
    """The campaign, with its phases prefetched (the permission predicates read them).

    Drafts answer 404 to anyone but the campaign's staff, as if they did not exist."""
    campaign = get_object_or_404(
        Campaign.objects.select_related("organisation").prefetch_related(
            Prefetch("phases", queryset=Phase.objects.order_by("position", "starts_at"))
        ),
        slug=slug,
    )
    if not request.user.has_perm("consultation.view_campaign", campaign):
        raise Http404("Campagne introuvable.")
    return campaign


def get_contribution(request: HttpRequest, campaign: Campaign, pk: int) -> Contribution:
    """A contribution of this campaign the person may read, with its counts and answer."""
    contributions = Contribution.objects.filter(campaign=campaign)
    if not request.user.has_perm("consultation.moderate", campaign):
        contributions = contributions.visible_to(request.user)
    contribution = get_object_or_404(contributions.for_listing(), pk=pk)
    # The permission predicates read the campaign's phases: reuse the prefetched ones.
    contribution.campaign = campaign
    return contribution


def login_required_redirect(request: HttpRequest, next_url: str):
    """Anonymous people who try to act go to the login page, then back to the page."""
    if request.user.is_authenticated:
        return None
    messages.info(request, _("Connectez-vous ou créez un compte pour participer."))
    return redirect_to_login(next_url)


def refusal_to_form(form, refusal: ActionRefused) -> None:
    """Show an action's refusal on the field it concerns, or above the form."""
    field = refusal.field if refusal.field in form.fields else None
    form.add_error(field, ValidationError(refusal.message, code=refusal.code))


def apply_form(form, action, /, *args, **kwargs):
    """Validate the form, then call the action with its cleaned data (plus *args/**kwargs).

    Returns what the action returns, or None when the form or the action refused; a refusal
    lands on the form, so the page is shown again with everything the person typed."""
    if not form.is_valid():
        return None
    try:
        return action(*args, **kwargs, **form.cleaned_data)
    except ActionRefused as refusal:
        refusal_to_form(form, refusal)
        return None


def refusal_to_message(request: HttpRequest, refusal: ActionRefused) -> None:
    """Show an action's refusal as an alert on the next page.

    Only the actions' own sentences reach here; they never quote what the person typed (the
    forms reject unknown choices first), so they are safe to show in a DSFR alert."""
    level = messages.WARNING if isinstance(refusal, PermissionRefused) else messages.ERROR
    messages.add_message(request, level, refusal.message)


def run_action(request: HttpRequest, action, /, *args, success: str | None = None, **kwargs):
    """Call the action for a page that answers with a redirect: a refusal becomes an alert on
    the next page, and `success`, if given, a success message.

    Returns what the action returns, or None when it refused (having written nothing). An
    action that may return None when it succeeds needs its own try/except."""
    try:
        result = action(*args, **kwargs)
    except ActionRefused as refusal:
        refusal_to_message(request, refusal)
        return None
    if success is not None:
        messages.success(request, success)
    return result


def breadcrumb(current: str, *, campaign: Campaign | None = None, links=()) -> dict:
    """The dsfr_breadcrumb data (it starts with the home page by itself): the campaign if any,
    the given (url, title) links, then the current page."""
    trail = []
    if campaign is not None:
        trail.append({"url": campaign.get_absolute_url(), "title": campaign.title})
    trail.extend({"url": url, "title": title} for url, title in links)
    return {"links": trail, "current": current}


def may(user, permission: str, obj) -> bool:
    """Whether the person may do this now. For an anonymous visitor: whether they could once
    logged in, so the page offers the button and the button leads to the login page; for an
    account whose address is not verified yet: whether they could once it is, so the button
    answers with how to verify it."""
    if user.is_authenticated and (user.has_verified_email or user.is_superuser):
        return user.has_perm(f"consultation.{permission}", obj)
    policy = POLICIES[permission]
    if user.is_authenticated and policy.bypass is not None and policy.bypass.test(user, obj):
        return True
    return all(
        condition.test(user, obj)
        for condition, _message in policy.conditions
        if condition not in (is_logged_in, has_verified_email)
    )
