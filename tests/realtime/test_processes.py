"""Two real Daphne processes on one real Redis and the test PostgreSQL database, with clients on
the `websockets` library that behave like the browser: a card typed on one process appears on the
other, and nothing typed is lost or doubled when Redis restarts or a process dies mid-session.

Run with the services pass: `.venv/bin/python -m tests.services -- pytest -q tests/realtime/`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from consultation.actions.boards import join_session, open_session
from consultation.models import Card
from tests.conftest import require_postgresql
from tests.services import _wait_for_port, free_port, redis_server  # noqa: F401 (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = Path(sys.executable).parent / "daphne"
SETTLE_SECONDS = 60.0


# --- The server processes ---------------------------------------------------------------------


class DaphneProcess:
    """`daphne consultation.asgi:application` as a child process, with its own log file."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop())
            prefix="daphne-", suffix=".log", delete=False
        )
        self.process = subprocess.Popen(
            [str(DAPHNE), "-b", "127.0.0.1", "-p", str(self.port), "consultation.asgi:application"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        _wait_for_port(self.port, self.process, "daphne")

    def url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def kill(self) -> None:
        """Sudden death (SIGKILL): no close frame, no cleanup, what a crashed container does."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> str:
        """Stop it if still running; returns its log so a failing test can show it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=3)  # its clients are gone: nothing to wait for
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        text = Path(self.log.name).read_text(errors="replace")
        os.unlink(self.log.name)
        return text


def child_database_url() -> str:
    """The pytest-django test database, as a URL the child processes can use."""
    base = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(base._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def daphne_pair(transactional_db, redis_server):  # noqa: F811
    """Two Daphne processes on the test database and one Redis; stopped before the database is
    flushed (this fixture depends on transactional_db, so it is torn down first)."""
    require_postgresql(connection)
    env = {
        **os.environ,
        "DATABASE_URL": child_database_url(),
        "REDIS_URL": redis_server.url,
        "DJANGO_SETTINGS_MODULE": "consultation.settings",
        "LOG_LEVEL": "WARNING",
    }
    processes = [DaphneProcess(env), DaphneProcess(env)]
    yield processes
    for number, process in enumerate(processes, 1):
        log = process.stop()
        if "Traceback" in log:
            print(f"--- journal de Daphne n°{number} ---\n{log[-6000:]}")


@pytest.fixture
def live_board(facilitator, workshop):
    """An open session with one board, and a way to join it as a guest (returns the token)."""
    session = open_session(facilitator, workshop, title="Atelier de Montreuil-sur-Mer")
    board = session.boards.get()

    def join(nickname: str) -> str:
        return join_session(AnonymousUser(), session.join_code, nickname=nickname)[1]

    path = f"/ws/sessions/{session.pk}/boards/{board.pk}/"
    return board, board.columns.first(), path, join


# --- A client that behaves like the browser ---------------------------------------------------


class BoardClient:
    """Protocol v1 as the browser speaks it: every command waits in an outbox until its `ack`
    and is resent after each reconnect; `hello` carries the last sequence number seen; a gap in
    the numbering asks for what was missed. When a server cannot be reached, the next one in
    `urls` is tried (what the load balancer does in production)."""

    def __init__(self, name: str, urls: list[str], token: str, column_id: int) -> None:
        self.name, self.urls, self.token, self.column_id = name, urls, token, column_id
        self.server = 0
        self.outbox: dict[str, dict] = {}
        self.typed: list[str] = []
        self.last_seq: int | None = None
        self.cards: dict[int, dict] = {}
        self.overlaps: list[tuple[int, str]] = []  # card.added for a card already shown
        self.errors: list[dict] = []
        self.connections = 0
        self.catching_up = False
        self.socket = None
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.run())

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        if self.socket is not None:
            await self.socket.close()

    async def type_card(self, text: str) -> str:
        key = str(uuid.uuid4())
        command = {"type": "card.add", "id": key, "column": self.column_id, "text": text}
        self.outbox[key] = command
        self.typed.append(key)
        await self.send(command)  # lost if the socket is down: the outbox resends it
        return key

    async def send(self, message: dict) -> None:
        if self.socket is not None and not self.catching_up:
            with contextlib.suppress(ConnectionClosed):
                await self.socket.send(json.dumps(message))

    async def run(self) -> None:
        pause = 0.1
        while True:
            url = self.urls[self.server]
            try:
                async with connect(url, origin=self.origin(url), open_timeout=5) as socket:
                    pause = 0.1
                    await self.session(socket)
            except (OSError, TimeoutError, InvalidHandshake):
                self.server = (self.server + 1) % len(self.urls)  # refused: try another
            except ConnectionClosed:
                pass  # the server went away or closed us: reconnect to the same one first
            finally:
                self.socket = None
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)

    @staticmethod
    def origin(url: str) -> str:
        return "http://" + urlsplit(url).netloc

    async def session(self, socket) -> None:
        self.connections += 1
        hello = {"type": "hello", "protocol": 1, "token": self.token}
        if self.last_seq is not None:
            hello["last_seq"] = self.last_seq
        self.catching_up = True
        await socket.send(json.dumps(hello))
        self.socket = socket
        async for raw in socket:
            await self.receive(json.loads(raw))

    async def receive(self, message: dict) -> None:
        kind, seq = message.get("type"), message.get("seq")
        if kind == "snapshot":
            self.cards = {card["id"]: card for card in message["cards"]}
            self.last_seq = message["seq"]
            await self.caught_up()
        elif kind == "ready":
            await self.caught_up()
        elif kind == "ack":
            self.outbox.pop(message["id"], None)
        elif kind == "error":
            self.errors.append(message)
            self.outbox.pop(message.get("id"), None)
        elif seq is not None:
            await self.event(message, seq)

    async def caught_up(self) -> None:
        self.catching_up = False
        for command in list(self.outbox.values()):
            await self.send(command)

    async def event(self, message: dict, seq: int) -> None:
        if self.last_seq is not None and seq <= self.last_seq:
            return  # already applied
        if self.last_seq is not None and seq > self.last_seq + 1:
            if not self.catching_up:
                await self.send({"type": "hello", "protocol": 1, "token": self.token,
                                 "last_seq": self.last_seq})  # fmt: skip
                self.catching_up = True
            return  # the catch-up replays it in order
        self.apply(message)
        self.last_seq = seq

    def apply(self, message: dict) -> None:
        """As board.js does: the view is keyed by card id, so a card already in the snapshot
        and then announced again replaces itself (counted in `overlaps`)."""
        kind = message["type"]
        if kind in ("card.added", "card.changed"):
            card = message["card"]
            if kind == "card.added" and card["id"] in self.cards:
                self.overlaps.append((message["seq"], card["key"]))
            self.cards[card["id"]] = card
        elif kind == "card.removed":
            self.cards.pop(message["card"], None)

    def keys(self) -> list[str]:
        return [card["key"] for card in self.cards.values()]

    def sees_exactly(self, keys: set[str]) -> bool:
        return not self.outbox and set(self.keys()) == keys and len(self.keys()) == len(keys)


async def until(condition: Callable[[], bool], what: Callable[[], str],
                seconds: float = SETTLE_SECONDS) -> None:  # fmt: skip
    """Poll until the condition holds; past the deadline, fail saying what is missing."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"au bout de {seconds:.0f} s : {what()}")
        await asyncio.sleep(0.05)


def state_of(clients: list[BoardClient], keys: set[str]) -> str:
    return " ; ".join(
        f"{c.name}: {len(set(c.keys()) & keys)}/{len(keys)} cartes vues, {len(c.keys())} au "
        f"total, {len(c.outbox)} sans accusé, erreurs {c.errors}, {c.connections} connexion(s)"
        for c in clients
    )


async def everyone_sees(clients: list[BoardClient]) -> set[str]:
    keys = {key for client in clients for key in client.typed}
    await until(lambda: all(c.sees_exactly(keys) for c in clients), lambda: state_of(clients, keys))
    return keys


async def type_round(clients: list[BoardClient], label: str) -> None:
    for client in clients:
        await client.type_card(f"{label} : proposition de {client.name}")


def assert_stored_exactly(board, keys: set[str], clients: list[BoardClient]) -> None:
    stored = [str(key) for key in Card.objects.filter(board=board).values_list("key", flat=True)]
    assert sorted(stored) == sorted(keys)  # every card typed, once
    for client in clients:
        assert client.errors == []
        assert sorted(client.keys()) == sorted(keys), client.name  # each view: once each


def run(scenario):
    return asyncio.run(asyncio.wait_for(scenario, 4 * SETTLE_SECONDS))


# --- The tests --------------------------------------------------------------------------------


def test_a_client_on_each_process_sees_the_other_process_cards(daphne_pair, live_board):
    board, column, path, join = live_board
    first, second = daphne_pair
    clients = [
        BoardClient("Alix", [first.url(path)], join("Alix"), column.pk),
        BoardClient("Basile", [second.url(path)], join("Basile"), column.pk),
    ]

    async def scenario() -> set[str]:
        for client in clients:
            client.start()
        for n in range(3):
            await type_round(clients, f"idée {n}")
        keys = await everyone_sees(clients)
        for client in clients:
            await client.stop()
        return keys

    keys = run(scenario())
    assert len(keys) == 6
    assert_stored_exactly(board, keys, clients)
    # One connection each, each on its own process: the cards crossed over Redis.
    assert [c.connections for c in clients] == [1, 1]


def test_a_redis_restart_mid_session_loses_and_doubles_nothing(
    daphne_pair, live_board, redis_server,  # noqa: F811
):  # fmt: skip
    board, column, path, join = live_board
    first, second = daphne_pair
    both = [first.url(path), second.url(path)]
    clients = [
        BoardClient(name, both if n % 2 == 0 else both[::-1], join(name), column.pk)
        for n, name in enumerate(["Alix", "Basile", "Capucine", "Dorian"])
    ]
    seen: dict[str, set[str]] = {}

    async def scenario() -> None:
        for client in clients:
            client.start()
        await type_round(clients, "avant")
        seen["avant"] = await everyone_sees(clients)
        redis_server.stop()
        await type_round(clients, "pendant la coupure")
        await asyncio.sleep(1.0)  # the outage lasts a moment, with commands waiting
        redis_server.start()
        await type_round(clients, "après")
        seen["tout"] = await everyone_sees(clients)
        for client in clients:
            await client.stop()

    run(scenario())
    assert len(seen["avant"]) == 4
    assert len(seen["tout"]) == 12
    assert_stored_exactly(board, seen["tout"], clients)


def test_a_process_killed_mid_session_loses_and_doubles_nothing(daphne_pair, live_board):
    board, column, path, join = live_board
    first, second = daphne_pair
    both = [first.url(path), second.url(path)]
    on_first = [BoardClient(n, both, join(n), column.pk) for n in ("Alix", "Basile")]
    on_second = [BoardClient("Capucine", both[::-1], join("Capucine"), column.pk)]
    clients = on_first + on_second
    seen: dict[str, set[str]] = {}

    async def scenario() -> None:
        for client in clients:
            client.start()
        await type_round(clients, "avant")
        seen["avant"] = await everyone_sees(clients)
        for n in range(5):  # in flight when the process dies: some never acknowledged
            await type_round(on_first, f"en vol {n}")
        first.kill()
        await type_round(clients, "pendant la bascule")
        await until(
            lambda: all(c.server == 1 and c.socket is not None for c in on_first),
            lambda: state_of(clients, set()),
        )
        await type_round(clients, "après")
        seen["tout"] = await everyone_sees(clients)
        for client in clients:
            await client.stop()

    run(scenario())
    assert len(seen["avant"]) == 3
    assert len(seen["tout"]) == 3 + 2 * 5 + 3 + 3
    assert_stored_exactly(board, seen["tout"], clients)
    assert all(c.connections >= 2 for c in on_first)  # they did move to the other process


def test_a_client_refused_by_the_server_is_told_why(daphne_pair, live_board):
    """Bad input across processes: a wrong token closes with 4401, a foreign Origin is refused
    at the handshake, and neither leaves a card behind."""
    board, _column, path, _join = live_board
    first, _second = daphne_pair

    async def scenario() -> tuple[int | None, int]:
        async with connect(first.url(path), origin=f"http://127.0.0.1:{first.port}") as socket:
            await socket.send(json.dumps({"type": "hello", "protocol": 1, "token": "faux"}))
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 10)
        with pytest.raises(InvalidStatus) as refused:
            await connect(first.url(path), origin="https://pirate.example")
        return closed.value.rcvd.code if closed.value.rcvd else None, (
            refused.value.response.status_code
        )

    assert run(scenario()) == (4401, 403)
    assert not Card.objects.filter(board=board).exists()
