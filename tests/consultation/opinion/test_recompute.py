"""Storing a computation, skipping when nothing changed, and the background task."""

import pytest

from consultation.actions.opinions import recompute_opinion_groups, schedule_recomputation
from consultation.models import OpinionGroups, StatementVote
from consultation.models.contributions import Visibility
from tests import factories


@pytest.fixture
def voted(campaign):
    statements = [factories.StatementFactory(campaign=campaign) for _ in range(8)]
    people = [factories.UserFactory() for _ in range(20)]
    for i, person in enumerate(people):
        for j, statement in enumerate(statements):
            choice = 1 if (i < 10) == (j % 2 == 0) else -1
            StatementVote.objects.create(statement=statement, user=person, choice=choice)
    return campaign, statements, people


def test_it_stores_two_groups_with_positions_and_repness(voted):
    campaign, statements, people = voted
    stored = recompute_opinion_groups(campaign)
    assert stored.groups_count == 2
    assert (stored.participants_count, stored.statements_count, stored.votes_count) == (20, 8, 160)
    result = stored.result
    assert sorted(result["participants"]["ids"]) == sorted(p.pk for p in people)
    assert sorted(g["members"] for g in result["groups"]) == [10, 10]
    assert set(result["repness"]) == {"0", "1"}
    assert OpinionGroups.objects.latest_for(campaign) == stored


def test_it_does_nothing_when_no_vote_changed(voted):
    campaign, statements, people = voted
    recompute_opinion_groups(campaign)
    assert recompute_opinion_groups(campaign) is None
    StatementVote.objects.filter(user=people[0], statement=statements[0]).update(choice=0)
    StatementVote.objects.create(statement=statements[0], user=factories.UserFactory(), choice=1)
    assert recompute_opinion_groups(campaign) is not None
    assert OpinionGroups.objects.filter(campaign=campaign).count() == 2


def test_hidden_statements_are_left_out_of_repness(voted):
    campaign, statements, _ = voted
    statements[0].visibility = Visibility.HIDDEN
    statements[0].save()
    result = recompute_opinion_groups(campaign).result
    shown = {item["statement"] for items in result["repness"].values() for item in items}
    assert statements[0].pk not in shown


def test_a_vote_schedules_a_recomputation_after_commit(voted, django_capture_on_commit_callbacks):
    campaign, _, _ = voted
    with django_capture_on_commit_callbacks(execute=True):
        schedule_recomputation(campaign.pk)
        assert not OpinionGroups.objects.exists()  # nothing before the commit
    assert OpinionGroups.objects.get(campaign=campaign).groups_count == 2


def test_a_burst_of_votes_queues_one_computation(voted, django_capture_on_commit_callbacks):
    campaign, _, _ = voted
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            schedule_recomputation(campaign.pk)
    assert OpinionGroups.objects.filter(campaign=campaign).count() == 1
