"""What each person may read through the API, as query filters.

Drafts and everything in them are visible only to the campaign's staff. Content awaiting
moderation (pending) is visible to its author and to the campaign's staff; hidden content never
reaches the API. Staff campaigns are a subquery, so these filters add no query of their own.
"""

from django.db.models import Q, QuerySet

from consultation.models import Campaign, CampaignRole
from consultation.models.contributions import Visibility


def staff_campaigns(user):
    """Ids of the campaigns where the person has a role, as a subquery."""
    return CampaignRole.objects.filter(user=user).values("campaign")


def readable_campaign_q(user, prefix: str = "") -> Q:
    """Campaigns the person may open: not drafts, or drafts of their own staff."""
    if user.is_authenticated and user.is_superuser:
        return Q()
    readable = ~Q(**{f"{prefix}status": Campaign.Status.DRAFT})
    if user.is_authenticated:
        readable |= Q(**{f"{prefix}pk__in": staff_campaigns(user)})
    return readable


def visible_content_q(user, campaign_path: str) -> Q:
    """Published content, plus pending content for its author and the campaign's staff."""
    visible = Q(visibility=Visibility.PUBLISHED)
    if user.is_authenticated:
        visible |= Q(visibility=Visibility.PENDING, author=user)
        if user.is_superuser:
            visible |= Q(visibility=Visibility.PENDING)
        else:
            visible |= Q(
                visibility=Visibility.PENDING, **{f"{campaign_path}__in": staff_campaigns(user)}
            )
    return visible & readable_campaign_q(user, prefix=f"{campaign_path}__")


def readable_campaigns(user) -> QuerySet:
    return Campaign.objects.filter(readable_campaign_q(user))


def listed_campaigns(user) -> QuerySet:
    """The campaign list: public campaigns, plus those the person works on."""
    listed = Q(pk__in=Campaign.objects.public().values("pk"))
    if user.is_authenticated:
        listed |= Q(pk__in=staff_campaigns(user))
        if user.is_superuser:
            listed = Q()
    return Campaign.objects.filter(listed)
