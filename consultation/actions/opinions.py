"""Computing, storing and publishing a campaign's opinion groups.

Votes arrive one by one and the computation takes from milliseconds to seconds, so it runs in
a background task (`consultation.opinion.tasks.recompute_opinion_groups_task`), queued after
the vote's transaction commits. Bursts collapse: a task finding that the latest computation
already took the newest vote into account returns without computing.

Each stored computation is announced after commit to the moderators' dashboards
(`realtime.groups.opinion_group`): counts and date only, never who voted what. The public sees
a computation only once an organiser has published it.
"""

import time
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultation.errors import ActionRefused
from consultation.models import Campaign, OpinionGroups, StatementVote, User
from consultation.opinion.database import campaign_vote_matrix
from consultation.opinion.pipeline import compute_opinion_groups
from consultation.rules import check_permission
from realtime.groups import opinion_group
from realtime.publish import publish_on_commit

KEPT_COMPUTATIONS = 5  # the latest ones; the published one is kept besides


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
        # published_at is checked by the DELETE itself: a computation published meanwhile
        # (the publication holds its row lock) is re-read by PostgreSQL and kept.
        OpinionGroups.objects.filter(
            pk__in=list(old.values_list("pk", flat=True)[KEPT_COMPUTATIONS:]),
            published_at__isnull=True,
        ).delete()
        publish_on_commit(opinion_group(campaign.pk), computed_event(stored))
    return stored


def computed_event(computation: OpinionGroups) -> dict:
    """What the dashboards are told of a new computation: figures, no personal data."""
    return {
        "type": "opinion_groups.computed",
        "computation": computation.pk,
        "computed_at": computation.computed_at.isoformat(),
        "participants": computation.participants_count,
        "clustered": computation.clustered_count,
        "statements": computation.statements_count,
        "votes": computation.votes_count,
        "groups": computation.groups_count,
        "duration_ms": computation.duration_ms,
    }


def request_recomputation(user: User, campaign: Campaign) -> OpinionGroups | None:
    """A moderator's « Recalculer maintenant »: at once where no task worker defers work
    (development, tests), returning the new computation; otherwise queued for the worker
    without waiting for the votes' window, returning None. The queued task skips the work
    when no vote changed since the latest computation: the method is deterministic, so it
    would find the same groups."""
    from consultation.opinion.tasks import recompute_opinion_groups_task as task

    check_permission(user, "moderate", campaign)
    if task.get_backend().supports_defer:
        transaction.on_commit(lambda: task.enqueue(campaign.pk))
        return None
    return recompute_opinion_groups(campaign, force=True)


def _lock_computations(campaign: Campaign) -> dict[int, object]:
    """Lock the campaign's computations (publications are then one at a time); their
    publication dates by id."""
    rows = OpinionGroups.objects.select_for_update().filter(campaign=campaign).order_by("pk")
    return dict(rows.values_list("pk", "published_at"))


GONE = _("Ce calcul n'existe plus : seuls les plus récents et celui qui est publié sont gardés.")


def publish_opinion_groups(user: User, computation: OpinionGroups) -> OpinionGroups:
    """The organisers' deliberate act: this computation becomes the one everyone sees on
    the results page, in place of the one published before (if any)."""
    campaign = computation.campaign
    check_permission(user, "publish_opinion_groups", campaign)
    if not computation.groups_count:
        raise ActionRefused(
            _("Ce calcul n'a trouvé aucun groupe : il n'y a rien à publier."), code="no_groups"
        )
    with transaction.atomic():
        published = _lock_computations(campaign)
        if computation.pk not in published:
            raise ActionRefused(GONE, code="not_found")
        if published[computation.pk] is not None:
            raise ActionRefused(_("Ce calcul est déjà publié."), code="already_published")
        now = timezone.now()
        OpinionGroups.objects.filter(campaign=campaign, published_at__isnull=False).update(
            published_at=None, published_by=None
        )
        OpinionGroups.objects.filter(pk=computation.pk).update(published_at=now, published_by=user)
        computation.published_at, computation.published_by = now, user
        publish_on_commit(
            opinion_group(campaign.pk),
            {
                "type": "opinion_groups.published",
                "computation": computation.pk,
                "published_at": now.isoformat(),
            },
        )
    return computation


def unpublish_opinion_groups(user: User, computation: OpinionGroups) -> OpinionGroups:
    """The organisers take the opinion groups off the results page (none is shown then)."""
    campaign = computation.campaign
    check_permission(user, "publish_opinion_groups", campaign)
    with transaction.atomic():
        published = _lock_computations(campaign)
        if computation.pk not in published:
            raise ActionRefused(GONE, code="not_found")
        if published[computation.pk] is None:
            raise ActionRefused(_("Ce calcul n'est pas publié."), code="not_published")
        OpinionGroups.objects.filter(pk=computation.pk).update(published_at=None, published_by=None)
        computation.published_at, computation.published_by = None, None
        publish_on_commit(
            opinion_group(campaign.pk),
            {"type": "opinion_groups.unpublished", "computation": computation.pk},
        )
    return computation


RECOMPUTE_WINDOW = 30  # seconds: at most one queued computation per campaign and window


def schedule_recomputation(campaign_id: int) -> None:
    """Queue a recomputation once the current transaction commits (call after a vote).

    One per campaign and window: a busy statements page does not queue a task per vote. With
    a worker that can defer (production), the task runs at the end of the window and sees
    every vote of it; the immediate backend of development runs it at once."""

    def enqueue() -> None:
        if cache.add(recomputation_marker(campaign_id), 1, RECOMPUTE_WINDOW):
            enqueue_recomputation(campaign_id)
        # else: already queued for this window

    transaction.on_commit(enqueue)


def recomputation_marker(campaign_id: int) -> str:
    """The cache key set while a recomputation is queued (consultation.api.fastvotes sets it
    too, with the same meaning)."""
    return f"opinion-groups-queued:{campaign_id}"


def enqueue_recomputation(campaign_id: int) -> None:
    """Queue the task, deferred to the end of the window where the backend can defer."""
    from consultation.opinion.tasks import recompute_opinion_groups_task as task

    if task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + timedelta(seconds=RECOMPUTE_WINDOW))
    task.enqueue(campaign_id)
