"""Automatic themes of a campaign: compute them, and let moderators rename, merge, split, move.

A rerun on new contributions keeps every moderator's edit: renamed themes keep their name, and
contributions a moderator placed stay where they were placed. New clusters are matched to the
existing themes they share most contributions with, so themes keep their identity (and their
synthesis) from one run to the next.
"""

from collections import Counter
from dataclasses import dataclass

from django.db import transaction

from consultation.actions._validation import require_text
from consultation.errors import ActionRefused
from consultation.models import Campaign, Contribution, Topic, User
from consultation.models.contributions import Visibility
from consultation.rules import check_permission
from consultation.themes import group_texts, label_from


@dataclass
class Regrouping:
    topics: int
    contributions: int
    created: int
    removed: int
    timings: dict


def _texts_of(campaign: Campaign) -> list[Contribution]:
    return list(
        Contribution.objects.filter(
            campaign=campaign, visibility=Visibility.PUBLISHED, merged_into__isnull=True
        )
        .order_by("pk")
        .only("pk", "title", "body", "topic_id", "topic_pinned", "campaign_id")
    )


def regroup_contributions(user: User | None, campaign: Campaign, *, k: int | None = None):
    """Recompute the campaign's automatic themes. `user` None: the background task."""
    if user is not None:
        check_permission(user, "moderate", campaign)
    rows = _texts_of(campaign)
    grouping = group_texts([f"{c.title}\n{c.body}" for c in rows], k=k)
    with transaction.atomic():
        topics = {t.pk: t for t in Topic.objects.select_for_update().filter(campaign=campaign)}
        matched = _match_clusters(rows, grouping.labels, grouping.size)
        created = 0
        for cluster in range(grouping.size):
            topic = topics.get(matched.get(cluster))
            if topic is None:
                topic = Topic.objects.create(campaign=campaign, label="…", position=cluster)
                topics[topic.pk] = topic
                matched[cluster] = topic.pk
                created += 1
            topic.terms = grouping.terms[cluster]
            topic.typical = [rows[i].pk for i in grouping.typical[cluster]]
            if not topic.label_locked:
                topic.label = label_from(grouping.terms[cluster])
            topic.position = cluster
            topic.save()
        moves = [
            (row, matched[int(cluster)])
            for row, cluster in zip(rows, grouping.labels, strict=True)
            if not row.topic_pinned and row.topic_id != matched[int(cluster)]
        ]
        for row, topic_id in moves:
            row.topic_id = topic_id
        Contribution.objects.bulk_update([row for row, _ in moves], ["topic"], batch_size=500)
        removed = _remove_empty_unnamed(campaign)
    return Regrouping(grouping.size, len(rows), created, removed, grouping.timings)


def _match_clusters(rows, labels, size: int) -> dict[int, int]:
    """Cluster index -> existing topic id, greedily by the number of shared contributions."""
    overlap = Counter(
        (int(cluster), row.topic_id)
        for row, cluster in zip(rows, labels, strict=True)
        if row.topic_id is not None
    )
    matched, taken = {}, set()
    for (cluster, topic_id), _shared in sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0])):
        if cluster not in matched and topic_id not in taken:
            matched[cluster] = topic_id
            taken.add(topic_id)
    return matched


def _remove_empty_unnamed(campaign: Campaign) -> int:
    """Themes left without contributions go, unless a moderator named them."""
    empty = Topic.objects.filter(campaign=campaign, label_locked=False, contributions=None)
    removed, _ = empty.delete()
    return removed


# --- moderators' edits ----------------------------------------------------------------------


def _label(value) -> str:
    return require_text(value, field="label", label="Intitulé", min_length=2, max_length=120)


def rename_topic(user: User, topic: Topic, label: str) -> Topic:
    check_permission(user, "moderate", topic.campaign)
    topic.label = _label(label)
    topic.label_locked = True
    topic.updated_by = user
    topic.save(update_fields=["label", "label_locked", "updated_by", "updated_at"])
    return topic


def _same_campaign(topic: Topic, contributions) -> list[Contribution]:
    # Read again: the objects given may be older than the last move.
    rows = list(Contribution.objects.filter(pk__in=[c.pk for c in contributions]))
    if not rows:
        raise ActionRefused("Cochez au moins une contribution.", code="required")
    if any(c.campaign_id != topic.campaign_id for c in rows):
        raise ActionRefused(
            "Une des contributions n'appartient pas à cette campagne.", code="not_found"
        )
    return rows


def move_to_topic(user: User, contributions, topic: Topic) -> int:
    """Place contributions in a theme; later reruns leave them there."""
    check_permission(user, "moderate", topic.campaign)
    rows = _same_campaign(topic, contributions)
    return Contribution.objects.filter(pk__in=[c.pk for c in rows]).update(
        topic=topic, topic_pinned=True
    )


def merge_topics(user: User, source: Topic, target: Topic) -> Topic:
    """Put every contribution of `source` into `target` (placed, so reruns keep it)."""
    check_permission(user, "moderate", target.campaign)
    if source.campaign_id != target.campaign_id or source.pk == target.pk:
        raise ActionRefused("Choisissez deux thèmes différents de la campagne.", code="invalid")
    with transaction.atomic():
        source.contributions.update(topic=target, topic_pinned=True)
        source.delete()
        target.label_locked = True  # the moderator chose to keep this one's name
        target.updated_by = user
        target.save(update_fields=["label_locked", "updated_by", "updated_at"])
    return target


def split_topic(user: User, topic: Topic, contributions, label: str) -> Topic:
    """Take some contributions out of a theme into a new, named theme."""
    check_permission(user, "moderate", topic.campaign)
    label = _label(label)
    rows = _same_campaign(topic, contributions)
    if any(c.topic_id != topic.pk for c in rows):
        raise ActionRefused(
            "Choisissez des contributions de ce thème pour le scinder.", code="invalid"
        )
    with transaction.atomic():
        new = Topic.objects.create(
            campaign=topic.campaign,
            label=label,
            label_locked=True,
            position=topic.position + 1,
            updated_by=user,
        )
        Contribution.objects.filter(pk__in=[c.pk for c in rows]).update(
            topic=new, topic_pinned=True
        )
    return new


def request_regroup(user: User, campaign: Campaign, *, k: int | None = None) -> Regrouping | None:
    """Regroup now, or in the background where a task worker runs (production): at 20,000
    contributions the computation takes seconds, longer than a page should wait. Returns the
    result when it ran at once, None when it was queued."""
    from consultation.tasks import regroup_task

    check_permission(user, "moderate", campaign)
    if regroup_task.get_backend().supports_defer:
        transaction.on_commit(lambda: regroup_task.enqueue(campaign.pk, k))
        return None
    return regroup_contributions(user, campaign, k=k)
