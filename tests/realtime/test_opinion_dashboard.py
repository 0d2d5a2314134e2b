"""The moderators' opinion-groups socket on the real ASGI stack (Origin, cookie, session, auth):
who may connect, what a moderator receives after a recomputation, and that it only pushes."""

import json

import pytest
from channels.testing import WebsocketCommunicator

from consultation.actions.opinions import publish_opinion_groups, recompute_opinion_groups
from consultation.asgi import application
from consultation.models import CampaignRole, StatementVote
from tests import factories
from tests.realtime.sockets import ORIGIN, WAIT, db, login_cookie, run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_layer")]


def path_of(campaign_id) -> str:
    return f"/ws/campaigns/{campaign_id}/opinion-groups/"


def dashboard(campaign_id, cookie=None, origin=ORIGIN) -> WebsocketCommunicator:
    """A dashboard socket; `cookie` from login_cookie(user), made before the async scenario."""
    headers = [origin] if origin else []
    if cookie is not None:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path_of(campaign_id), headers)


async def connect(communicator) -> dict:
    connected, _ = await communicator.connect(timeout=WAIT)
    assert connected
    return await communicator.receive_json_from(timeout=WAIT)


def vote(campaign, people=12, statements=6):
    rows = [factories.StatementFactory(campaign=campaign) for _ in range(statements)]
    for i in range(people):
        person = factories.UserFactory()
        for j, statement in enumerate(rows):
            choice = 1 if (i % 2 == 0) == (j % 2 == 0) else -1
            StatementVote.objects.create(statement=statement, user=person, choice=choice)


def test_a_moderator_receives_the_new_computation(campaign, moderator):
    vote(campaign)
    cookie = login_cookie(moderator)

    async def scenario():
        socket = dashboard(campaign.pk, cookie)
        assert await connect(socket) == {"type": "ready", "computation": None}
        stored = await db(recompute_opinion_groups, campaign)
        event = await socket.receive_json_from(timeout=WAIT)
        assert event["type"] == "opinion_groups.computed"
        assert event["computation"] == stored.pk
        assert (event["participants"], event["groups"], event["votes"]) == (12, 2, 72)
        assert set(event) == {
            "type", "computation", "computed_at", "participants", "clustered",
            "statements", "votes", "groups", "duration_ms",
        }  # fmt: skip
        await socket.disconnect()
        again = dashboard(campaign.pk, cookie)
        assert await connect(again) == {"type": "ready", "computation": stored.pk}
        await again.disconnect()

    run(scenario)


def test_an_organiser_receives_publications_too(campaign, organiser):
    vote(campaign)
    computed = recompute_opinion_groups(campaign)
    cookie = login_cookie(organiser)

    async def scenario():
        socket = dashboard(campaign.pk, cookie)
        await connect(socket)
        await db(publish_opinion_groups, organiser, computed)
        event = await socket.receive_json_from(timeout=WAIT)
        assert (event["type"], event["computation"]) == ("opinion_groups.published", computed.pk)
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    ("who", "code"),
    [("anonymous", 4401), ("resident", 4403), ("facilitator", 4403), ("other_moderator", 4403)],
)
def test_only_the_campaigns_moderators_connect(request, campaign, who, code):
    user = None
    if who == "other_moderator":
        other = factories.CampaignFactory()
        user = factories.UserFactory()
        CampaignRole.objects.create(campaign=other, user=user, role=CampaignRole.Role.MODERATOR)
    elif who != "anonymous":
        user = request.getfixturevalue(who)
    cookie = None if user is None else login_cookie(user)
    vote(campaign)

    async def scenario():
        socket = dashboard(campaign.pk, cookie)
        connected, _ = await socket.connect(timeout=WAIT)
        assert connected  # accepted, then closed with the reason
        closed = await socket.receive_output(timeout=WAIT)
        assert closed == {"type": "websocket.close", "code": code}
        # Nothing reaches the refused socket afterwards.
        await db(recompute_opinion_groups, campaign)
        assert await socket.receive_nothing(timeout=0.3)

    run(scenario)


def test_an_unknown_campaign_is_refused_with_4404_and_anonymous_people_learn_nothing(moderator):
    cookie = login_cookie(moderator)

    async def scenario():
        for sent, code in [(cookie, 4404), (None, 4401)]:
            socket = dashboard(999_999, sent)
            await socket.connect(timeout=WAIT)
            assert await socket.receive_output(timeout=WAIT) == {
                "type": "websocket.close",
                "code": code,
            }

    run(scenario)


def test_another_origin_is_refused_at_the_handshake(campaign, moderator):
    cookie = login_cookie(moderator)

    async def scenario():
        socket = dashboard(campaign.pk, cookie, origin=(b"origin", b"https://evil.example"))
        connected, _ = await socket.connect(timeout=WAIT)
        assert not connected

    run(scenario)


@pytest.mark.parametrize(
    "message", ['{"type": "recompute"}', "pas du JSON", json.dumps({"x": "y" * 5000})]
)
def test_it_only_pushes_and_answers_any_message_with_an_error(campaign, moderator, message):
    cookie = login_cookie(moderator)

    async def scenario():
        socket = dashboard(campaign.pk, cookie)
        await connect(socket)
        await socket.send_to(text_data=message)
        answer = await socket.receive_json_from(timeout=WAIT)
        assert answer["type"] == "error" and answer["code"] == "read_only"
        assert answer["message"] == (
            "Ce canal transmet les nouveaux calculs et n'accepte aucun message."
        )
        await socket.send_to(bytes_data=b"\x00\xff")
        assert (await socket.receive_json_from(timeout=WAIT))["code"] == "read_only"
        await socket.disconnect()

    run(scenario)
    assert not campaign.opinion_groups.exists()  # a message changes nothing


def test_events_of_another_campaign_do_not_arrive(campaign, moderator):
    other = factories.CampaignFactory()
    CampaignRole.objects.create(campaign=other, user=moderator, role=CampaignRole.Role.MODERATOR)
    vote(other)
    cookie = login_cookie(moderator)

    async def scenario():
        socket = dashboard(campaign.pk, cookie)
        await connect(socket)
        await db(recompute_opinion_groups, other)
        assert await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()

    run(scenario)
