"""run_action: the POST views' one way to call an action and say how it went on the next page."""

import pytest
from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware

from consultation.actions.moderation import Seen, moderate
from consultation.actions.statements import cast_vote
from consultation.models import Phase, StatementVote
from consultation.models.contributions import Visibility
from frontend.views._common import run_action
from tests import factories


@pytest.fixture
def request_(rf, resident):
    request = rf.post("/")
    SessionMiddleware(lambda request: None).process_request(request)
    MessageMiddleware(lambda request: None).process_request(request)
    request.user = resident
    return request


def shown(request) -> list[tuple[int, str]]:
    return [(message.level, message.message) for message in messages.get_messages(request)]


def test_it_returns_the_result_and_says_it_is_done(request_, resident, statement):
    vote = run_action(
        request_, cast_vote, resident, statement, choice=-1, success="Votre vote est enregistré."
    )
    assert vote == StatementVote.objects.get(user=resident, statement=statement, choice=-1)
    assert shown(request_) == [(messages.SUCCESS, "Votre vote est enregistré.")]


def test_without_a_success_message_it_says_nothing(request_, resident, statement):
    assert run_action(request_, cast_vote, resident, statement, 1).choice == 1
    assert shown(request_) == []


def test_keywords_named_like_its_own_parameters_reach_the_action(request_, campaign, moderator):
    proposal = factories.ContributionFactory(campaign=campaign)
    targets = [Seen(kind="contribution", id=proposal.pk, visibility=proposal.visibility)]
    [decision] = run_action(
        request_, moderate, moderator, campaign, targets, action="hide", reason="spam"
    )
    assert decision.action == "hide"
    proposal.refresh_from_db()
    assert proposal.visibility == Visibility.HIDDEN


def test_a_refused_input_is_an_error_and_writes_nothing(request_, resident, statement):
    vote = run_action(request_, cast_vote, resident, statement, 7, success="Vote enregistré.")
    assert vote is None
    assert not StatementVote.objects.exists()
    [(level, text)] = shown(request_)
    assert level == messages.ERROR
    assert text.startswith("Vote : valeur « 7 » inconnue (valeurs possibles : D'accord, ")


def test_a_permission_refusal_is_a_warning_and_writes_nothing(request_, resident, statement):
    Phase.objects.filter(campaign=statement.campaign).update(allows_votes=False)
    vote = run_action(request_, cast_vote, resident, statement, 1, success="Vote enregistré.")
    assert vote is None
    assert not StatementVote.objects.exists()
    assert shown(request_) == [(messages.WARNING, "La phase en cours ne permet pas de voter.")]
