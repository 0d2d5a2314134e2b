"""Duplicates: suggest near-identical contributions, merge them traceably, undo a merge."""

from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from consultation.actions.moderation import Action, _log
from consultation.errors import ActionRefused
from consultation.models import Campaign, Contribution, Follow, Merge, Support, User
from consultation.models.contributions import Visibility
from consultation.rules import check_permission
from consultation.text import clean_plain_text
from consultation.textsim import tfidf

SUGGESTION_THRESHOLD = 0.45
MAX_MERGED_AT_ONCE = 50


@dataclass(frozen=True)
class Suggestion:
    first: Contribution
    second: Contribution
    score: float  # cosine similarity of the French TF-IDF vectors, 0 to 1


def duplicate_suggestions(
    campaign: Campaign, *, limit: int = 50, threshold: float = SUGGESTION_THRESHOLD
) -> list[Suggestion]:
    """Pairs of published, unmerged contributions whose texts are most alike, best first."""
    rows = list(
        Contribution.objects.filter(
            campaign=campaign, visibility=Visibility.PUBLISHED, merged_into__isnull=True
        )
        .order_by("pk")
        .only("pk", "title", "body", "campaign_id", "created_at")
    )
    if len(rows) < 2:
        return []
    matrix, _vectorizer = tfidf([f"{c.title}\n{c.body}" for c in rows])
    pairs = []
    # Block by block, so that 20,000 contributions never need a 20,000 x 20,000 dense matrix.
    for start in range(0, len(rows), 1000):
        block = (matrix[start : start + 1000] @ matrix.T).tocoo()
        for i, j, score in zip(block.row, block.col, block.data, strict=True):
            i += start
            if i < j and score >= threshold:
                pairs.append((float(score), i, j))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    return [Suggestion(rows[i], rows[j], round(score, 3)) for score, i, j in pairs[:limit]]


def _insert_returning(model, contribution_id: int, user_ids: list[int]) -> list[int]:
    """Add rows (contribution, user) that do not exist yet; return the ids of those created.

    ON CONFLICT against the unique constraint: a person who supports the result already, or
    does so at this very moment, keeps their own row, and the merge does not claim it."""
    if not user_ids:
        return []
    table = model._meta.db_table
    now = timezone.now()
    values = ", ".join(["(%s, %s, %s)"] * len(user_ids))
    params = [p for uid in user_ids for p in (contribution_id, uid, now)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (contribution_id, user_id, created_at) VALUES {values} "  # noqa: S608
            "ON CONFLICT (contribution_id, user_id) DO NOTHING RETURNING id",
            params,
        )
        return [row[0] for row in cursor.fetchall()]


def merge_contributions(
    user: User,
    campaign: Campaign,
    *,
    result: Contribution,
    merged: list[Contribution],
    note: str = "",
) -> list[Merge]:
    """Merge duplicates into `result`. Each stays readable and links to it; each of their
    supporters and followers counts once on the result. One log line per merged item."""
    check_permission(user, "moderate", campaign)
    ids = sorted({c.pk for c in merged} - {result.pk})
    if not ids:
        raise ActionRefused(
            "Choisissez au moins une autre contribution à fusionner.", code="required"
        )
    if len(ids) > MAX_MERGED_AT_ONCE:
        raise ActionRefused(
            f"{MAX_MERGED_AT_ONCE} contributions au plus par fusion.", code="too_many"
        )
    note = clean_plain_text(note or "")[:500] if isinstance(note, str) else ""
    with transaction.atomic():
        locked = {
            c.pk: c
            for c in Contribution.objects.select_for_update()
            .filter(campaign=campaign, pk__in=[result.pk, *ids])
            .order_by("pk")
        }
        target = locked.get(result.pk)
        _check_mergeable(target, [locked.get(pk) for pk in ids], ids)
        return [_merge_one(user, campaign, target, locked[pk], note) for pk in ids]


def _check_mergeable(target, items, ids) -> None:
    if target is None or any(item is None for item in items):
        raise ActionRefused(
            "Une des contributions n'existe pas dans cette campagne.", code="not_found"
        )
    if target.merged_into_id:
        raise ActionRefused(
            f"« {target.title} » est elle-même fusionnée : choisissez la contribution qui "
            "l'a reçue.",
            code="invalid",
        )
    for item in items:
        if item.merged_into_id:
            raise ActionRefused(f"« {item.title} » est déjà fusionnée.", code="invalid")
        if item.merged_items.exists():
            raise ActionRefused(
                f"« {item.title} » a déjà reçu d'autres contributions : fusionnez plutôt "
                "dans celle-ci.",
                code="invalid",
            )


def _merge_one(user, campaign, target, item, note) -> Merge:
    supporters = list(Support.objects.filter(contribution=item).values_list("user_id", flat=True))
    followers = list(Follow.objects.filter(contribution=item).values_list("user_id", flat=True))
    merge = Merge.objects.create(
        campaign=campaign,
        result=target,
        merged=item,
        moderator=user,
        added_supports=_insert_returning(Support, target.pk, supporters),
        added_follows=_insert_returning(Follow, target.pk, followers),
    )
    item.merged_into = target
    item.save(update_fields=["merged_into", "updated_at"])
    _log(
        campaign.pk, user, Action.MERGE, item, note=note, result=target.pk,
        result_title=target.title[:120], supports_added=len(merge.added_supports),
        merge=merge.pk,
    )  # fmt: skip
    _notify_merge(merge)
    return merge


def _notify_merge(merge: Merge) -> None:
    from consultation.tasks import notify_merge

    transaction.on_commit(lambda: notify_merge.enqueue(merge.pk))


def undo_merge(user: User, merge: Merge, *, note: str = "") -> Merge:
    """Separate a merged contribution again: remove exactly the supports and follows the merge
    added (not those people gave the result themselves since)."""
    check_permission(user, "moderate", merge.campaign)
    with transaction.atomic():
        merge = Merge.objects.select_for_update().select_related("merged").get(pk=merge.pk)
        if merge.undone_at is not None:
            raise ActionRefused("Cette fusion est déjà annulée.", code="already_undone")
        Support.objects.filter(pk__in=merge.added_supports, contribution=merge.result_id).delete()
        Follow.objects.filter(pk__in=merge.added_follows, contribution=merge.result_id).delete()
        merge.undone_at, merge.undone_by = timezone.now(), user
        merge.save(update_fields=["undone_at", "undone_by"])
        merged = merge.merged
        merged.merged_into = None
        merged.save(update_fields=["merged_into", "updated_at"])
        note = clean_plain_text(note or "")[:500] if isinstance(note, str) else ""
        _log(merge.campaign_id, user, Action.UNMERGE, merged, note=note, merge=merge.pk,
             result=merge.result_id)  # fmt: skip
    return merge


def similarity(a: str, b: str) -> float:
    """How alike two French texts are (0 to 1), as the suggestions measure it."""
    matrix, _ = tfidf([a, b])
    return float(np.round((matrix[0] @ matrix[1].T).toarray()[0, 0], 3))
