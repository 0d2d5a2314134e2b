"""Background recomputation of opinion groups (django-tasks, like consultation/tasks.py)."""

from django_tasks import task

from consultation.models import Campaign


@task()
def recompute_opinion_groups_task(campaign_id: int) -> int | None:
    """Recompute a campaign's groups if votes changed; returns the stored computation's id."""
    from consultation.actions.opinions import recompute_opinion_groups

    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return None
    stored = recompute_opinion_groups(campaign)
    return stored.pk if stored else None
