from django.db import transaction
from django.utils import timezone

from consultation.actions._validation import require_choice, require_text
from consultation.actions.opinions import schedule_recomputation
from consultation.models import Campaign, Statement, StatementVote, User
from consultation.models.contributions import Visibility
from consultation.models.statements import STATEMENT_MAX_LENGTH
from consultation.rules import check_permission, is_moderator


def cast_vote(user: User, statement: Statement, choice) -> StatementVote:
    """Agree, disagree or pass. A second vote by the same person replaces the first, in one
    upsert guarded by the (statement, user) unique constraint."""
    check_permission(user, "vote_statement", statement)
    choice = require_choice(choice, StatementVote.Choice, field="choice", label="Vote")
    now = timezone.now()
    (vote,) = StatementVote.objects.bulk_create(
        [
            StatementVote(
                statement=statement, user=user, choice=choice, created_at=now, updated_at=now
            )
        ],
        update_conflicts=True,
        unique_fields=["statement", "user"],
        update_fields=["choice", "updated_at"],
    )
    schedule_recomputation(statement.campaign_id)
    return vote


def propose_statement(user: User, campaign: Campaign, text: str) -> Statement:
    """Residents may suggest statements; they wait for moderation unless a moderator wrote them."""
    check_permission(user, "propose_statement", campaign)
    text = require_text(
        text, field="text", label="Affirmation", min_length=10, max_length=STATEMENT_MAX_LENGTH
    )
    with transaction.atomic():
        return Statement.objects.create(
            campaign=campaign,
            text=text,
            author=user,
            visibility=(
                Visibility.PUBLISHED if is_moderator.test(user, campaign) else Visibility.PENDING
            ),
        )
