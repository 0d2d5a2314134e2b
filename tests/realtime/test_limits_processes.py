"""The socket limits across two real Daphne processes sharing one real Redis (the cache): one
budget per participant and one count of guest sockets per address, whichever process a socket
lands on.

Run with the services pass: `.venv/bin/python -m tests.services -- pytest -q tests/realtime/`.
"""

import asyncio
import json
import os
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from consultation.actions.boards import join_session, open_session
from consultation.models import Card
from tests.conftest import require_postgresql
from tests.realtime.test_processes import DaphneProcess, child_database_url
from tests.services import redis_server  # noqa: F401 (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

BUDGET, CAP = 10, 4
WAIT = 30  # seconds: a ceiling for answers that must come, never a measure


@pytest.fixture
def limited_pair(transactional_db, redis_server):  # noqa: F811
    require_postgresql(connection)
    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "REDIS_URL": redis_server.url,
        "DJANGO_SETTINGS_MODULE": "consultation.settings",
        "LOG_LEVEL": "WARNING",
        # A day's window: the real clock of the child processes cannot end it mid-test
        # (except across midnight UTC).
        "RATE_LIMIT_LIVE_COMMANDS": f"{BUDGET}/d",
        "LIVE_GUEST_SOCKETS_PER_ADDRESS": str(CAP),
    }
    processes = [DaphneProcess(env), DaphneProcess(env)]
    yield processes
    for process in processes:
        process.stop()


@pytest.fixture
def board_and_guest(facilitator, workshop):
    session = open_session(facilitator, workshop, title="Atelier de Montreuil-sur-Mer")
    board = session.boards.get()
    _participant, token = join_session(AnonymousUser(), session.join_code, nickname="Alix")
    return board, token, f"/ws/sessions/{session.pk}/boards/{board.pk}/"


def origin(process) -> str:
    return f"http://127.0.0.1:{process.port}"


async def joined(process, path, token):
    socket = await connect(process.url(path), origin=origin(process), open_timeout=WAIT)
    await socket.send(json.dumps({"type": "hello", "protocol": 1, "token": token}))
    while json.loads(await asyncio.wait_for(socket.recv(), WAIT))["type"] != "ready":
        pass
    return socket


async def burst(socket, column: int, count: int) -> list[dict]:
    ids = [str(uuid.uuid4()) for _ in range(count)]
    for command_id in ids:
        text = f"Carte {command_id[:8]}"
        await socket.send(
            json.dumps({"type": "card.add", "id": command_id, "column": column, "text": text})
        )
    answers = {}
    while len(answers) < count:
        message = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
        if message["type"] in ("ack", "error") and message.get("id") in ids:
            answers[message["id"]] = message
    return list(answers.values())


async def retried(attempt):
    """Polls until accepted (a ceiling, not a measure): the close reaches the server a moment
    after the client sends it."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while True:
        try:
            return await attempt()
        except ConnectionClosed:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)


def test_one_guest_on_both_processes_has_one_budget(limited_pair, board_and_guest):
    board, token, path = board_and_guest
    column = board.columns.first().pk

    async def scenario():
        sockets = [await joined(process, path, token) for process in limited_pair]
        answers = await asyncio.gather(*(burst(socket, column, 8) for socket in sockets))
        for socket in sockets:
            await socket.close()
        return [answer for each in answers for answer in each]

    answers = asyncio.run(scenario())
    assert len(answers) == 16  # every command answered
    assert sum(a["type"] == "ack" for a in answers) == BUDGET
    assert {a["code"] for a in answers if a["type"] == "error"} == {"rate_limited"}
    assert Card.objects.filter(board=board).count() == BUDGET


def test_guest_sockets_of_one_address_are_counted_across_processes(limited_pair, board_and_guest):
    _board, token, path = board_and_guest
    first, second = limited_pair

    async def scenario():
        room = [await joined(process, path, token) for process in (first, second) * (CAP // 2)]
        extra = await connect(second.url(path), origin=origin(second), open_timeout=WAIT)
        refusal = json.loads(await asyncio.wait_for(extra.recv(), WAIT))
        await asyncio.wait_for(extra.wait_closed(), WAIT)
        code = extra.close_code
        await room[0].close()  # a slot frees on the other process, once it sees the close
        late = await retried(lambda: joined(second, path, token))
        for socket in [*room[1:], late]:
            await socket.close()
        return refusal, code

    refusal, code = asyncio.run(scenario())
    assert refusal["code"] == "too_many_connections" and code == 4429
