"""A facilitator's socket needs the second factor of the session it comes from: a stolen
password alone must not run a live workshop."""

import pytest
from django.conf import settings
from django.test import Client

from tests.realtime.sockets import Socket, login_cookie, run

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
