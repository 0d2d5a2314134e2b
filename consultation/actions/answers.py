from django.db import transaction

from consultation.actions._validation import require_choice, require_text
from consultation.models import Contribution, OfficialAnswer, User
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
