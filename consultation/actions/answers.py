from django.db import transaction

from consultation.actions._validation import require_choice, require_text
from consultation.errors import ActionRefused
from consultation.models import Contribution, OfficialAnswer, Topic, User
from consultation.models.contributions import BODY_MAX_LENGTH
from consultation.rules import check_permission
from consultation.tasks import notify_official_answer


def answer_contribution(
    user: User, contribution: Contribution, *, status: str, body: str
) -> OfficialAnswer:
    """Write or rewrite the prefecture's official answer; author and followers are emailed
    after commit (a rolled-back answer must not be announced)."""
    check_permission(user, "answer", contribution)
    status = require_choice(status, OfficialAnswer.Status, field="status", label="Statut")
    body = require_text(
        body, field="body", label="Réponse", min_length=10, max_length=BODY_MAX_LENGTH
    )
    with transaction.atomic():
        answer, _ = OfficialAnswer.objects.update_or_create(
            contribution=contribution,
            defaults={"status": status, "body": body, "author": user},
        )
        transaction.on_commit(lambda: notify_official_answer.enqueue(answer.pk))
    return answer


MAX_BULK_ANSWERS = 500


def answer_topic(user: User, topic: Topic, *, status: str, body: str) -> list[OfficialAnswer]:
    """Give the same official answer to every published contribution of an automatic theme
    (a cluster of similar contributions): one answer each, each author and follower emailed."""
    check_permission(user, "answer", topic.campaign)
    contributions = list(
        topic.contributions.filter(visibility="published", merged_into__isnull=True)
        .select_related("campaign")
        .order_by("pk")[: MAX_BULK_ANSWERS + 1]
    )
    if not contributions:
        raise ActionRefused("Ce thème ne contient aucune contribution publiée.", code="empty")
    if len(contributions) > MAX_BULK_ANSWERS:
        raise ActionRefused(
            f"{MAX_BULK_ANSWERS} contributions au plus par réponse groupée.", code="too_many"
        )
    with transaction.atomic():
        return [
            answer_contribution(user, contribution, status=status, body=body)
            for contribution in contributions
        ]
