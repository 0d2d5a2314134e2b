"""The demo's opinion groups: computed from the seeded votes and published by the organisers,
so that the moderators' dashboard and the results page (a preview for the campaign's staff
until the campaign closes) show the map at once.

Through the same actions as the team: the computation the background task would run, and the
organisers' publication. Idempotent: skipped when a computation is already published.
"""

from consultation.actions.opinions import publish_opinion_groups, recompute_opinion_groups
from consultation.models import Campaign, OpinionGroups, User


def seed_opinion_groups(campaign: Campaign, staff: dict[str, User]) -> dict:
    if OpinionGroups.objects.published_for(campaign) is not None:
        return {}
    computed = recompute_opinion_groups(campaign, force=True)
    if not computed.groups_count:
        return {"calculs des groupes d'opinion": 1}
    publish_opinion_groups(staff["organiser"], computed)
    return {"calculs des groupes d'opinion": 1, "groupes d'opinion publiés": computed.groups_count}
