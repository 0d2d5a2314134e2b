"""Publishing opinion groups (organisers only, one published computation per campaign), the
moderators' « Recalculer maintenant », pruning that keeps the published computation, and the
event each stored computation sends to the dashboards after commit, never on rollback."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction
from django.utils import timezone

from consultation.actions.opinions import (
    KEPT_COMPUTATIONS,
    publish_opinion_groups,
    recompute_opinion_groups,
    request_recomputation,
    unpublish_opinion_groups,
)
from consultation.errors import ActionRefused, PermissionRefused
from consultation.models import OpinionGroups, StatementVote
from realtime.groups import opinion_group
from tests import factories


def vote_in_two_camps(campaign, people=20, statements=8):
    rows = [factories.StatementFactory(campaign=campaign) for _ in range(statements)]
    for i in range(people):
        person = factories.UserFactory()
        for j, statement in enumerate(rows):
            choice = 1 if (i < people // 2) == (j % 2 == 0) else -1
            StatementVote.objects.create(statement=statement, user=person, choice=choice)
    return rows


@pytest.fixture
def computed(campaign):
    vote_in_two_camps(campaign)
    return recompute_opinion_groups(campaign, force=True)


def published_ids(campaign) -> list[int]:
    return list(
        OpinionGroups.objects.filter(campaign=campaign, published_at__isnull=False).values_list(
            "pk", flat=True
        )
    )


# --- publication -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_organiser_publishes_a_computation_and_it_says_who_and_when(computed, organiser):
    before = timezone.now()
    publish_opinion_groups(organiser, computed)
    computed.refresh_from_db()
    assert computed.published_by == organiser
    assert computed.published_at >= before
    assert OpinionGroups.objects.published_for(computed.campaign) == computed


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["moderator", "facilitator", "resident", "anonymous"])
def test_only_organisers_publish_or_withdraw(request, computed, organiser, persona):
    person = request.getfixturevalue(persona)
    with pytest.raises(PermissionRefused) as refused:
        publish_opinion_groups(person, computed)
    assert "organisatrice" in refused.value.message or refused.value.needs_login
    assert published_ids(computed.campaign) == []

    publish_opinion_groups(organiser, computed)
    with pytest.raises(PermissionRefused):
        unpublish_opinion_groups(person, computed)
    assert published_ids(computed.campaign) == [computed.pk]


@pytest.mark.django_db
def test_publishing_another_computation_withdraws_the_first(computed, organiser):
    campaign = computed.campaign
    publish_opinion_groups(organiser, computed)
    newer = recompute_opinion_groups(campaign, force=True)
    publish_opinion_groups(organiser, newer)
    assert published_ids(campaign) == [newer.pk]
    computed.refresh_from_db()
    assert (computed.published_at, computed.published_by) == (None, None)


@pytest.mark.django_db
def test_the_database_refuses_two_published_computations(computed, organiser):
    newer = recompute_opinion_groups(computed.campaign, force=True)
    OpinionGroups.objects.filter(pk=computed.pk).update(
        published_at=timezone.now(), published_by=organiser
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        OpinionGroups.objects.filter(pk=newer.pk).update(
            published_at=timezone.now(), published_by=organiser
        )


@pytest.mark.django_db
def test_the_database_refuses_a_publication_without_its_author(computed):
    with pytest.raises(IntegrityError), transaction.atomic():
        OpinionGroups.objects.filter(pk=computed.pk).update(published_at=timezone.now())


@pytest.mark.django_db
def test_a_computation_without_groups_is_not_published(campaign, organiser):
    empty = recompute_opinion_groups(campaign, force=True)  # nobody voted
    assert empty.groups_count == 0
    with pytest.raises(ActionRefused) as refused:
        publish_opinion_groups(organiser, empty)
    assert refused.value.message == "Ce calcul n'a trouvé aucun groupe : il n'y a rien à publier."
    assert published_ids(campaign) == []


@pytest.mark.django_db
def test_publishing_twice_or_withdrawing_what_is_not_published_is_refused(computed, organiser):
    with pytest.raises(ActionRefused, match="Ce calcul n'est pas publié."):
        unpublish_opinion_groups(organiser, computed)
    publish_opinion_groups(organiser, computed)
    first = OpinionGroups.objects.get(pk=computed.pk).published_at
    with pytest.raises(ActionRefused, match="Ce calcul est déjà publié."):
        publish_opinion_groups(organiser, computed)
    assert OpinionGroups.objects.get(pk=computed.pk).published_at == first


@pytest.mark.django_db
def test_a_pruned_computation_cannot_be_published(computed, organiser):
    stale = OpinionGroups.objects.get(pk=computed.pk)
    OpinionGroups.objects.filter(pk=computed.pk).delete()
    with pytest.raises(ActionRefused) as refused:
        publish_opinion_groups(organiser, stale)
    assert refused.value.code == "not_found"
    assert published_ids(computed.campaign) == []


@pytest.mark.django_db
def test_withdrawing_leaves_nothing_published(computed, organiser):
    publish_opinion_groups(organiser, computed)
    unpublish_opinion_groups(organiser, computed)
    assert OpinionGroups.objects.published_for(computed.campaign) is None


# --- pruning ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pruning_keeps_the_latest_computations_and_the_published_one(computed, organiser):
    campaign = computed.campaign
    publish_opinion_groups(organiser, computed)
    for _ in range(KEPT_COMPUTATIONS + 2):
        recompute_opinion_groups(campaign, force=True)
    kept = OpinionGroups.objects.filter(campaign=campaign)
    assert kept.count() == KEPT_COMPUTATIONS + 1
    assert kept.filter(pk=computed.pk, published_at__isnull=False).exists()

    unpublish_opinion_groups(organiser, computed)
    recompute_opinion_groups(campaign, force=True)
    assert kept.count() == KEPT_COMPUTATIONS
    assert not kept.filter(pk=computed.pk).exists()


# --- « Recalculer maintenant » ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_moderator_recomputes_at_once_even_when_no_vote_changed(computed, moderator):
    fresh = request_recomputation(moderator, computed.campaign)
    assert fresh is not None and fresh.pk != computed.pk
    assert OpinionGroups.objects.latest_for(computed.campaign) == fresh


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["facilitator", "resident", "anonymous"])
def test_only_moderators_ask_for_a_recomputation(request, computed, persona):
    with pytest.raises(PermissionRefused):
        request_recomputation(request.getfixturevalue(persona), computed.campaign)
    assert OpinionGroups.objects.filter(campaign=computed.campaign).count() == 1


@pytest.mark.django_db
def test_where_a_worker_defers_the_recomputation_is_queued_after_commit(
    computed, moderator, settings, django_capture_on_commit_callbacks
):
    from consultation.opinion.tasks import recompute_opinion_groups_task

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    backend = recompute_opinion_groups_task.get_backend()
    backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert request_recomputation(moderator, computed.campaign) is None
        assert backend.results == []  # nothing before the commit
    assert [result.args for result in backend.results] == [[computed.campaign.pk]]


# --- live event after commit -----------------------------------------------------------------


@pytest.fixture
def fresh_layer():
    """An empty in-memory channel layer before and after (as in tests/realtime)."""
    layer = get_channel_layer()
    async_to_sync(layer.flush)()
    yield layer
    async_to_sync(layer.flush)()


def listen(group: str) -> str:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return channel


def next_message(channel: str, timeout: float = 1.0):
    async def receive():
        try:
            return await asyncio.wait_for(get_channel_layer().receive(channel), timeout)
        except TimeoutError:
            return None

    return async_to_sync(receive)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_layer")
def test_a_stored_computation_is_announced_after_commit_with_counts_only(campaign):
    vote_in_two_camps(campaign)
    # Two listeners: with Redis, a channel whose receive timed out is bound to that event loop.
    early, channel = listen(opinion_group(campaign.pk)), listen(opinion_group(campaign.pk))
    with transaction.atomic():
        stored = recompute_opinion_groups(campaign)
        assert next_message(early, timeout=0.2) is None  # not before the commit
    message = next_message(channel)
    assert message == {
        "type": "domain.event",
        "event": {
            "type": "opinion_groups.computed",
            "computation": stored.pk,
            "computed_at": stored.computed_at.isoformat(),
            "participants": 20,
            "clustered": 20,
            "statements": 8,
            "votes": 160,
            "groups": 2,
            "duration_ms": stored.duration_ms,
        },
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_layer")
def test_a_rolled_back_computation_announces_nothing(campaign):
    vote_in_two_camps(campaign)
    channel = listen(opinion_group(campaign.pk))
    with pytest.raises(RuntimeError), transaction.atomic():
        recompute_opinion_groups(campaign)
        raise RuntimeError("rollback")
    assert not OpinionGroups.objects.exists()
    assert next_message(channel, timeout=0.3) is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_layer")
def test_publication_and_withdrawal_are_announced(campaign, organiser):
    vote_in_two_camps(campaign)
    computed = recompute_opinion_groups(campaign)
    channel = listen(opinion_group(campaign.pk))
    publish_opinion_groups(organiser, computed)
    published = next_message(channel)["event"]
    assert published["type"] == "opinion_groups.published"
    assert published["computation"] == computed.pk
    unpublish_opinion_groups(organiser, computed)
    assert next_message(channel)["event"] == {
        "type": "opinion_groups.unpublished",
        "computation": computed.pk,
    }


def test_the_dashboards_group_is_named_in_one_place():
    assert opinion_group("12") == "opinion-groups.12"
    with pytest.raises(ValueError):
        opinion_group("12; other")
