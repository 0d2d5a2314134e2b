from django.conf import settings
from django.db import transaction

from consultation.actions._validation import require_choice, require_text
from consultation.errors import ActionRefused
from consultation.models import Campaign, Commune, Contribution, Follow, Theme, User, Workshop
from consultation.models.contributions import (
    BODY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Provenance,
    Visibility,
)
from consultation.ratelimit import count_on_commit, ensure_rate_left
from consultation.rules import check_permission, is_organiser

RESIDENT_KINDS = [
    Contribution.Kind.PROPOSAL,
    Contribution.Kind.QUESTION,
    Contribution.Kind.TESTIMONY,
]


def _check_theme(campaign: Campaign, theme: Theme | None) -> None:
    if theme is not None and theme.campaign_id != campaign.pk:
        raise ActionRefused(
            "Ce thème n'appartient pas à cette campagne.", code="foreign_theme", field="theme"
        )


def _check_commune(campaign: Campaign, commune: Commune | None) -> None:
    if commune is None:
        return
    area_ids = {area.pk for area in campaign.areas.all()}
    if area_ids and commune.area_id not in area_ids:
        raise ActionRefused(
            "Cette commune ne fait pas partie du territoire de la campagne.",
            code="foreign_commune",
            field="commune",
        )


def submit_contribution(
    user: User,
    campaign: Campaign,
    *,
    kind: str,
    title: str,
    body: str,
    theme: Theme | None = None,
    commune: Commune | None = None,
    provenance: str = Provenance.ONLINE,
    workshop: Workshop | None = None,
    author_label: str = "",
) -> Contribution:
    """Record a contribution. Staff may enter workshop or paper contributions on behalf of
    participants (author_label signs them); residents contribute online in their own name."""
    check_permission(user, "contribute", campaign)
    staff_entry = provenance != Provenance.ONLINE
    if staff_entry and not is_organiser.test(user, campaign):
        raise ActionRefused(
            "Seule l'équipe organisatrice peut saisir des contributions d'atelier ou papier.",
            code="forbidden_provenance",
            field="provenance",
        )
    allowed_kinds = list(Contribution.Kind) if staff_entry else RESIDENT_KINDS
    kind = require_choice(kind, allowed_kinds, field="kind", label="Type de contribution")
    title = require_text(
        title, field="title", label="Titre", min_length=5, max_length=TITLE_MAX_LENGTH
    )
    body = require_text(
        body, field="body", label="Texte", min_length=15, max_length=BODY_MAX_LENGTH
    )
    _check_theme(campaign, theme)
    _check_commune(campaign, commune)
    if workshop is not None and workshop.campaign_id != campaign.pk:
        raise ActionRefused(
            "Cet atelier n'appartient pas à cette campagne.",
            code="foreign_workshop",
            field="workshop",
        )
    rate = settings.RATE_LIMITS["contribution"]
    if not staff_entry:
        ensure_rate_left("contribution", str(user.pk), rate)

    pre_moderated = campaign.moderation_mode == Campaign.ModerationMode.PRE and not staff_entry
    with transaction.atomic():
        contribution = Contribution.objects.create(
            campaign=campaign,
            kind=kind,
            title=title,
            body=body,
            theme=theme,
            commune=commune,
            author=None if staff_entry else user,
            author_label=author_label[:120] if staff_entry else "",
            provenance=provenance,
            workshop=workshop,
            visibility=Visibility.PENDING if pre_moderated else Visibility.PUBLISHED,
        )
        if not staff_entry:
            Follow.objects.create(contribution=contribution, user=user)
            count_on_commit("contribution", str(user.pk), rate)
    return contribution
