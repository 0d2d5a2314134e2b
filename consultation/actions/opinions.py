"""Computing and storing a campaign's opinion groups.

Votes arrive one by one and the computation takes from milliseconds to seconds, so it runs in
a background task (`consultation.opinion.tasks.recompute_opinion_groups_task`), queued after
the vote's transaction commits. Bursts collapse: a task finding that the latest computation
already took the newest vote into account returns without computing.
"""

import time
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from consultation.models import Campaign, OpinionGroups, StatementVote
from consultation.opinion.database import campaign_vote_matrix
from consultation.opinion.pipeline import compute_opinion_groups

KEPT_COMPUTATIONS = 5


def _vote_state(campaign: Campaign) -> dict:
    return StatementVote.objects.filter(statement__campaign=campaign).aggregate(
        last=Max("updated_at"), count=Count("id")
    )


def is_up_to_date(campaign: Campaign) -> bool:
    """True when the latest computation saw the campaign's newest vote and its vote count."""
    latest = OpinionGroups.objects.latest_for(campaign)
    if latest is None:
        return False
    state = _vote_state(campaign)
    return latest.last_vote_at == state["last"] and latest.votes_count == state["count"]


def recompute_opinion_groups(campaign: Campaign, *, force: bool = False) -> OpinionGroups | None:
    """Compute the opinion groups from the current votes and store them; None when nothing
    changed since the last computation (unless `force`)."""
    if not force and is_up_to_date(campaign):
        return None
    state = _vote_state(campaign)
    matrix = campaign_vote_matrix(campaign)
    started = time.perf_counter()
    groups = compute_opinion_groups(matrix)
    duration_ms = round((time.perf_counter() - started) * 1000)
    with transaction.atomic():
        stored = OpinionGroups.objects.create(
            campaign=campaign,
            participants_count=matrix.shape[0],
            clustered_count=groups.clustered,
            statements_count=matrix.shape[1],
            votes_count=matrix.n_votes,
            groups_count=groups.n_groups,
            # The state read before the matrix: a vote landing in between triggers its own
            # task, which will then see a newer vote than this and recompute.
            last_vote_at=state["last"],
            duration_ms=duration_ms,
            result=groups.as_json(),
        )
        old = OpinionGroups.objects.filter(campaign=campaign).order_by("-computed_at", "-id")
        OpinionGroups.objects.filter(
            pk__in=list(old.values_list("pk", flat=True)[KEPT_COMPUTATIONS:])
        ).delete()
    return stored


RECOMPUTE_WINDOW = 30  # seconds: at most one queued computation per campaign and window


def schedule_recomputation(campaign_id: int) -> None:
    """Queue a recomputation once the current transaction commits (call after a vote).

    One per campaign and window: a busy statements page does not queue a task per vote. With
    a worker that can defer (production), the task runs at the end of the window and sees
    every vote of it; the immediate backend of development runs it at once."""

    def enqueue() -> None:
        from consultation.opinion.tasks import recompute_opinion_groups_task as task

        if not cache.add(f"opinion-groups-queued:{campaign_id}", 1, RECOMPUTE_WINDOW):
            return  # already queued for this window
        if task.get_backend().supports_defer:
            task = task.using(run_after=timezone.now() + timedelta(seconds=RECOMPUTE_WINDOW))
        task.enqueue(campaign_id)

    transaction.on_commit(enqueue)
