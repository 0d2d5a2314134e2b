from django.conf import settings
from django.db import transaction

from consultation.actions._validation import require_choice, require_text
from consultation.errors import ActionRefused
from consultation.models import Campaign, Comment, Contribution, User
from consultation.models.contributions import COMMENT_MAX_LENGTH, Visibility
from consultation.ratelimit import count_on_commit, ensure_rate_left
from consultation.rules import check_permission

MAX_DEPTH = 3  # as in Decidim: replies to replies to replies, no deeper


def _depth(comment: Comment) -> int:
    depth = 0
    while comment.parent_id is not None:
        comment = comment.parent
        depth += 1
    return depth


def post_comment(
    user: User,
    contribution: Contribution,
    *,
    body: str,
    alignment=Comment.Alignment.NEUTRAL,
    parent: Comment | None = None,
) -> Comment:
    check_permission(user, "comment", contribution)
    body = require_text(
        body, field="body", label="Commentaire", min_length=2, max_length=COMMENT_MAX_LENGTH
    )
    alignment = require_choice(alignment, Comment.Alignment, field="alignment", label="Position")
    if parent is not None:
        if parent.contribution_id != contribution.pk:
            raise ActionRefused(
                "Ce commentaire n'appartient pas à cette contribution.",
                code="foreign_parent",
                field="parent",
            )
        if parent.visibility != Visibility.PUBLISHED:
            raise ActionRefused(
                "On ne peut pas répondre à un commentaire masqué.",
                code="hidden_parent",
                field="parent",
            )
        if _depth(parent) + 1 > MAX_DEPTH:
            raise ActionRefused(
                "La discussion est trop imbriquée : répondez plus haut dans le fil.",
                code="too_deep",
                field="parent",
            )
    rate = settings.RATE_LIMITS["comment"]
    ensure_rate_left("comment", str(user.pk), rate)
    pre_moderated = contribution.campaign.moderation_mode == Campaign.ModerationMode.PRE
    with transaction.atomic():
        comment = Comment.objects.create(
            contribution=contribution,
            parent=parent,
            author=user,
            body=body,
            alignment=alignment,
            visibility=Visibility.PENDING if pre_moderated else Visibility.PUBLISHED,
        )
        count_on_commit("comment", str(user.pk), rate)
    return comment
