"""Write, version, draft and publish the synthesis of a campaign."""

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from consultation.actions._validation import require_text
from consultation.errors import ActionRefused
from consultation.models import (
    Campaign,
    Contribution,
    SynthesisSection,
    SynthesisVersion,
    Topic,
    User,
)
from consultation.models.contributions import Visibility
from consultation.models.synthesis import SYNTHESIS_MAX_LENGTH
from consultation.rules import check_permission
from consultation.synthesis import check_citations

DRAFT_TOP_CONTRIBUTIONS = 5


def create_section(
    user: User, campaign: Campaign, *, title: str, topic: Topic | None = None
) -> SynthesisSection:
    check_permission(user, "moderate", campaign)
    title = require_text(title, field="title", label="Titre", min_length=3, max_length=200)
    if topic is not None and topic.campaign_id != campaign.pk:
        raise ActionRefused("Ce thème n'appartient pas à cette campagne.", code="foreign_topic")
    last = campaign.synthesis_sections.aggregate(m=Max("position"))["m"]
    return SynthesisSection.objects.create(
        campaign=campaign, topic=topic, title=title, position=(last or 0) + 1
    )


def save_version(user: User, section: SynthesisSection, body: str) -> SynthesisVersion:
    """Check every citation and keep the text as a new version (the old ones stay)."""
    check_permission(user, "moderate", section.campaign)
    body = require_text(
        body, field="body", label="Texte", min_length=10, max_length=SYNTHESIS_MAX_LENGTH
    )
    sources = check_citations(section.campaign, body)
    with transaction.atomic():
        locked = SynthesisSection.objects.select_for_update().get(pk=section.pk)
        last = locked.versions.aggregate(m=Max("number"))["m"] or 0
        return SynthesisVersion.objects.create(
            section=locked,
            number=last + 1,
            body=body,
            citations=[{"kind": s.kind, "id": s.id, "url": s.url} for s in sources],
            author=user,
        )


def publish_version(user: User, version: SynthesisVersion) -> SynthesisSection:
    """The organiser's deliberate act: this version becomes the public text of its section.

    Citations are checked again: a source hidden since the version was saved blocks it."""
    section = version.section
    check_permission(user, "manage_campaign", section.campaign)
    check_citations(section.campaign, version.body)
    section.published_version = version
    section.published_at = timezone.now()
    section.published_by = user
    section.save(update_fields=["published_version", "published_at", "published_by"])
    return section


def unpublish_section(user: User, section: SynthesisSection) -> SynthesisSection:
    check_permission(user, "manage_campaign", section.campaign)
    section.published_version = None
    section.published_at = None
    section.published_by = None
    section.save(update_fields=["published_version", "published_at", "published_by"])
    return section


def _n(count: int, singular: str, plural: str) -> str:
    """French counts: 0 and 1 take the singular."""
    return f"{count} {singular if count <= 1 else plural}"


def draft_from_data(section: SynthesisSection) -> str:
    """A starting text made only of what the sources say: their titles, quoted, with their
    counts and a citation each. The moderator writes the synthesis from there."""
    campaign = section.campaign
    contributions = Contribution.objects.filter(
        campaign=campaign, visibility=Visibility.PUBLISHED, merged_into__isnull=True
    )
    if section.topic_id:
        contributions = contributions.filter(topic=section.topic_id)
    counted = contributions.annotate(
        supports_n=Count("supports", distinct=True),
        comments_n=Count(
            "comments", filter=Q(comments__visibility=Visibility.PUBLISHED), distinct=True
        ),
    )
    total = counted.count()
    by_channel = dict(contributions.values_list("provenance").annotate(n=Count("id")).order_by())
    lines = [
        f"## {section.title} : {_n(total, 'contribution', 'contributions')} "
        f"({by_channel.get('online', 0)} en ligne, {by_channel.get('workshop', 0)} en atelier, "
        f"{by_channel.get('paper', 0)} sur papier)",
        "### Les plus soutenues",
    ]
    top = counted.order_by("-supports_n", "-comments_n", "pk")[:DRAFT_TOP_CONTRIBUTIONS]
    lines += [
        f"- « {c.title} » : {_n(c.supports_n, 'soutien', 'soutiens')}, "
        f"{_n(c.comments_n, 'commentaire', 'commentaires')} [#{c.pk}]"
        for c in top
    ]
    if section.topic_id and section.topic.typical:
        typical = Contribution.objects.filter(pk__in=section.topic.typical, visibility="published")
        lines += ["### Les plus représentatives du thème"]
        lines += [f"- « {c.title} » [#{c.pk}]" for c in typical]
    return "\n".join(lines)
