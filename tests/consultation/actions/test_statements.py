import pytest

from consultation.actions.statements import cast_vote, propose_statement
from consultation.errors import ActionRefused, PermissionRefused
from consultation.models import Statement, StatementVote
from consultation.models.contributions import Visibility


def test_a_re_vote_replaces_the_first(resident, statement):
    cast_vote(resident, statement, StatementVote.Choice.AGREE)
    cast_vote(resident, statement, StatementVote.Choice.DISAGREE)
    votes = StatementVote.objects.filter(statement=statement)
    assert [v.choice for v in votes] == [StatementVote.Choice.DISAGREE]
    counted = Statement.objects.with_vote_counts().get(pk=statement.pk)
    assert (counted.agree_count, counted.disagree_count, counted.pass_count) == (0, 1, 0)


@pytest.mark.parametrize("choice", [2, "agree", None, "1; DROP TABLE"])
def test_it_rejects_unknown_choices(resident, statement, choice):
    with pytest.raises(ActionRefused, match="Vote"):
        cast_vote(resident, statement, choice)
    assert not StatementVote.objects.exists()


def test_it_refuses_votes_on_hidden_statements(resident, statement):
    statement.visibility = Visibility.HIDDEN
    statement.save()
    with pytest.raises(PermissionRefused):
        cast_vote(resident, statement, 1)


def test_resident_statements_wait_for_moderation(resident, moderator, campaign):
    mine = propose_statement(resident, campaign, "Les haies protègent mieux que les digues.")
    theirs = propose_statement(moderator, campaign, "L'État doit racheter les maisons inondées.")
    assert mine.visibility == Visibility.PENDING
    assert theirs.visibility == Visibility.PUBLISHED


@pytest.mark.parametrize(("text", "message"), [("Court", "10 caractères"), ("z" * 281, "280")])
def test_it_rejects_bad_statements(resident, campaign, text, message):
    with pytest.raises(ActionRefused, match=message):
        propose_statement(resident, campaign, text)
    assert not Statement.objects.exists()
