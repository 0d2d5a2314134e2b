"""Moderation: residents report content; moderators decide, one log line per decision.

A decision names the state the moderator saw (`seen`): if someone else decided in the meantime,
the decision is refused rather than silently overriding theirs.
"""

from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from consultation.actions._validation import require_choice
from consultation.actions.opinions import schedule_recomputation
from consultation.errors import ActionRefused
from consultation.models import Campaign, Comment, Contribution, Statement, Theme, User
from consultation.models.contributions import Visibility
from consultation.models.moderation import (
    ModerationDecision,
    ModerationReason,
    Report,
    Tag,
    TargetKind,
)
from consultation.ratelimit import count_on_commit, ensure_rate_left
from consultation.rules import check_permission
from consultation.text import clean_plain_text

Action = ModerationDecision.Action
MODELS = {
    TargetKind.CONTRIBUTION: Contribution,
    TargetKind.COMMENT: Comment,
    TargetKind.STATEMENT: Statement,
}
MAX_BULK = 500


def kind_of(target) -> str:
    for kind, model in MODELS.items():
        if isinstance(target, model):
            return kind
    raise TypeError(f"not moderable: {type(target).__name__}")


def campaign_id_of(target) -> int:
    if isinstance(target, Comment):
        return target.contribution.campaign_id
    return target.campaign_id


def excerpt_of(target) -> str:
    text = target.title if isinstance(target, Contribution) else getattr(target, "text", None)
    return (text or target.body)[:200]


def author_of(target) -> User | None:
    return target.author if target.author_id else None


def _log(campaign_id, moderator, action, target, *, reason="", note="", **data):
    return ModerationDecision.objects.create(
        campaign_id=campaign_id,
        moderator=moderator,
        action=action,
        target_kind=kind_of(target),
        target_id=target.pk,
        target_excerpt=excerpt_of(target),
        reason=reason,
        note=note,
        data=data,
    )


def _set_visibility(target, visibility: str) -> None:
    target.visibility = visibility
    fields = ["visibility"] + (["updated_at"] if hasattr(target, "updated_at") else [])
    target.save(update_fields=fields)
    if isinstance(target, Statement):
        # A statement hidden or restored changes the vote matrix the groups come from.
        schedule_recomputation(target.campaign_id)


def hidden_notice(decision: ModerationDecision) -> dict:
    """What the author of hidden content is told: the public reason, never the moderators'
    note (« Note pour le journal », labelled as seen by the moderation team only). The email
    template gets this dict rather than the decision, so it cannot reach the note."""
    return {
        "campaign_title": decision.campaign.title,
        "campaign_url": decision.campaign.get_absolute_url(),
        "target_kind": decision.target_kind,
        "target_label": decision.get_target_kind_display(),
        "excerpt": decision.target_excerpt,
        "reason": decision.get_reason_display(),
        "automatic": decision.action == Action.AUTO_HIDE,
    }


def _after_hiding(decision: ModerationDecision) -> None:
    from consultation.tasks import notify_content_hidden

    transaction.on_commit(lambda: notify_content_hidden.enqueue(decision.pk))


# --- reports --------------------------------------------------------------------------------


def report_content(user: User, target, *, reason: str, details: str = "") -> Report:
    """Flag a piece of content. At the campaign's threshold of open reports it is hidden
    until a moderator decides; its author is told why."""
    check_permission(user, "report", target)
    reason = require_choice(reason, ModerationReason, field="reason", label="Motif")
    details = clean_plain_text(details or "") if isinstance(details, str) else ""
    if len(details) > 500:
        raise ActionRefused(
            f"Précisions : 500 caractères au maximum (actuellement {len(details)}).",
            code="too_long",
            field="details",
        )
    if author_of(target) == user:
        raise ActionRefused("Vous ne pouvez pas signaler votre propre contenu.", code="own")
    rate = settings.RATE_LIMITS["report"]
    ensure_rate_left("report", str(user.pk), rate)
    kind = kind_of(target)
    with transaction.atomic():
        locked = type(target).objects.select_for_update().get(pk=target.pk)
        if Report.objects.filter(reporter=user, **{kind: locked}).exists():
            raise ActionRefused("Vous avez déjà signalé ce contenu.", code="already_reported")
        campaign = Campaign.objects.get(pk=campaign_id_of(locked))
        report = Report.objects.create(
            campaign=campaign, reporter=user, reason=reason, details=details, **{kind: locked}
        )
        _hide_if_over_threshold(campaign, locked, kind)
        count_on_commit("report", str(user.pk), rate)
    return report


def _hide_if_over_threshold(campaign: Campaign, target, kind: str) -> None:
    """Call while holding the target's row lock."""
    threshold = campaign.report_threshold
    if not threshold or target.visibility != Visibility.PUBLISHED:
        return
    open_reports = Report.objects.filter(resolved_at__isnull=True, **{kind: target})
    reasons = Counter(open_reports.values_list("reason", flat=True))
    if sum(reasons.values()) < threshold:
        return
    _set_visibility(target, Visibility.HIDDEN)
    decision = _log(
        campaign.pk,
        None,
        Action.AUTO_HIDE,
        target,
        reason=reasons.most_common(1)[0][0],
        note=f"{sum(reasons.values())} signalements",
    )
    _after_hiding(decision)


# --- decisions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """A target as the moderator saw it in the queue: kind, id, and its moderation state."""

    kind: str
    id: int
    visibility: str


def _load(campaign: Campaign, seen: Seen):
    model = MODELS.get(seen.kind)
    if model is None:
        raise ActionRefused(f"Type de contenu inconnu : « {seen.kind} ».", code="invalid")
    rows = model.objects.select_for_update()
    if model is Comment:
        target = rows.filter(pk=seen.id, contribution__campaign=campaign).first()
    else:
        target = rows.filter(pk=seen.id, campaign=campaign).first()
    if target is None:
        raise ActionRefused(
            f"{TargetKind(seen.kind).label} n°{seen.id} : introuvable dans cette campagne.",
            code="not_found",
        )
    if target.visibility != seen.visibility:
        raise ActionRefused(
            f"{TargetKind(seen.kind).label} n°{seen.id} : son état a changé depuis l'affichage "
            f"de la file (maintenant « {target.get_visibility_display()} »). Rechargez la page.",
            code="stale",
        )
    return target


def moderate(
    user: User,
    campaign: Campaign,
    targets: list[Seen],
    *,
    action: str,
    reason: str = "",
    note: str = "",
    tag: str = "",
    theme: Theme | None = None,
) -> list[ModerationDecision]:
    """Apply one decision to many pieces of content at once: all or nothing."""
    check_permission(user, "moderate", campaign)
    action = require_choice(
        action,
        [Action.APPROVE, Action.HIDE, Action.RESTORE, Action.TAG, Action.ASSIGN_THEME],
        field="action",
        label="Décision",
    )
    if not targets:
        raise ActionRefused("Cochez au moins un contenu.", code="required", field="targets")
    if len(targets) > MAX_BULK:
        raise ActionRefused(
            f"{MAX_BULK} contenus au plus par décision.", code="too_many", field="targets"
        )
    note = clean_plain_text(note or "")[:500] if isinstance(note, str) else ""
    apply = _decision(action, campaign, reason=reason, tag=tag, theme=theme)
    with transaction.atomic():
        decisions = [apply(user, _load(campaign, seen), note) for seen in targets]
    return decisions


def _decision(action, campaign, *, reason, tag, theme):
    if action == Action.HIDE:
        reason = require_choice(reason, ModerationReason, field="reason", label="Motif")
        return lambda user, target, note: _hide(user, campaign, target, reason, note)
    if action == Action.TAG:
        label = clean_plain_text(tag or "") if isinstance(tag, str) else ""
        if not 2 <= len(label) <= 60:
            raise ActionRefused(
                "Étiquette : entre 2 et 60 caractères.", code="invalid", field="tag"
            )
        return lambda user, target, note: _tag(user, campaign, target, label, note)
    if action == Action.ASSIGN_THEME:
        if theme is None or theme.campaign_id != campaign.pk:
            raise ActionRefused(
                "Choisissez un thème de cette campagne.", code="foreign_theme", field="theme"
            )
        return lambda user, target, note: _assign_theme(user, campaign, target, theme, note)
    visibility = Visibility.PUBLISHED
    return lambda user, target, note: _publish(user, campaign, target, action, visibility, note)


def _resolve_reports(target) -> int:
    return Report.objects.filter(resolved_at__isnull=True, **{kind_of(target): target}).update(
        resolved_at=timezone.now()
    )


def _hide(user, campaign, target, reason, note) -> ModerationDecision:
    _set_visibility(target, Visibility.HIDDEN)
    reports = _resolve_reports(target)
    decision = _log(campaign.pk, user, Action.HIDE, target, reason=reason, note=note,
                    reports=reports)  # fmt: skip
    _after_hiding(decision)
    return decision


def _publish(user, campaign, target, action, visibility, note) -> ModerationDecision:
    if action == Action.RESTORE and target.visibility != Visibility.HIDDEN:
        raise ActionRefused(
            f"« {excerpt_of(target)[:60]} » n'est pas masqué : rien à rétablir.",
            code="invalid",
        )
    was = target.visibility
    _set_visibility(target, visibility)
    reports = _resolve_reports(target)
    return _log(campaign.pk, user, action, target, note=note, was=was, reports=reports)


def _tag(user, campaign, target, label, note) -> ModerationDecision:
    if not isinstance(target, Contribution):
        raise ActionRefused("Seules les contributions s'étiquettent.", code="invalid")
    tag, _created = Tag.objects.get_or_create(campaign=campaign, name=label)
    tag.contributions.add(target)
    return _log(campaign.pk, user, Action.TAG, target, note=note, tag=label)


def _assign_theme(user, campaign, target, theme, note) -> ModerationDecision:
    if isinstance(target, Comment):
        raise ActionRefused("Un commentaire n'a pas de thème.", code="invalid")
    previous = target.theme.name if target.theme_id else ""
    target.theme = theme
    target.save(update_fields=["theme"])
    return _log(
        campaign.pk, user, Action.ASSIGN_THEME, target, note=note, theme=theme.name,
        previous=previous,
    )  # fmt: skip
