"""Staff sockets need the second factor of the session they come from: a stolen password alone
must not run a live workshop nor watch the moderators' opinion-groups dashboard."""

import pytest
from django.conf import settings
from django.test import Client

from tests.realtime.sockets import WAIT, Socket, login_cookie, run
from tests.realtime.test_opinion_dashboard import dashboard

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_layer")]


def password_only_cookie(user) -> str:
    client = Client()
    client.force_login(user)  # the password step, no second factor
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_a_facilitator_without_the_second_factor_is_not_let_in(board, facilitator):
    cookie = password_only_cookie(facilitator)

    async def scenario():
        socket = Socket(board, cookie=cookie)
        assert await socket.connect()
        await socket.send({"type": "hello", "protocol": 1})
        assert await socket.closed_with() == 4401

    run(scenario)


def test_a_facilitator_with_the_second_factor_runs_the_session(board, facilitator):
    cookie = login_cookie(facilitator)

    async def scenario():
        socket = Socket(board, cookie=cookie)
        await socket.join()
        ack = await socket.run("session.lock")
        assert ack["type"] == "ack", ack
        await socket.leave()

    run(scenario)


def test_a_moderator_without_the_second_factor_gets_no_opinion_dashboard(campaign, moderator):
    cookie = password_only_cookie(moderator)

    async def scenario():
        socket = dashboard(campaign.pk, cookie)
        connected, _ = await socket.connect(timeout=WAIT)
        assert connected  # accepted, then closed with the reason
        assert await socket.receive_output(timeout=WAIT) == {
            "type": "websocket.close",
            "code": 4401,
        }

    run(scenario)


def test_a_moderator_with_the_second_factor_gets_the_opinion_dashboard(campaign, moderator):
    cookie = login_cookie(moderator)

    async def scenario():
        socket = dashboard(campaign.pk, cookie)
        connected, _ = await socket.connect(timeout=WAIT)
        assert connected
        assert (await socket.receive_json_from(timeout=WAIT))["type"] == "ready"
        await socket.disconnect()

    run(scenario)
