"""Board sockets on the real ASGI stack (Origin check, cookies, Django session, auth).

Tests are plain functions that run one async scenario with `run(...)`; ORM calls inside a
scenario go through `db(...)`, as in the consumer itself.
"""

import json
import uuid
from importlib import import_module

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from consultation.asgi import application
from tests.staff import sign_in

WAIT = 10  # seconds: a ceiling for messages that must come, never a measure
ORIGIN = (b"origin", b"http://testserver")


def run(scenario, *args):
    return async_to_sync(scenario)(*args)


async def db(function, *args, **kwargs):
    return await database_sync_to_async(function)(*args, **kwargs)


def new_id() -> str:
    return str(uuid.uuid4())


def path_of(board) -> str:
    return f"/ws/sessions/{board.session_id}/boards/{board.pk}/"


def login_cookie(user) -> str:
    client = Client()
    sign_in(client, user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def guest_cookie(participant) -> str:
    """The cookie of a browser that joined over HTTP: the guest kept in the Django session."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["live_participants"] = {str(participant.session_id): participant.pk}
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


class Socket:
    """One board socket in a test: connect, say hello, send commands, read messages."""

    def __init__(self, board, *, cookie: str | None = None, origin=ORIGIN, path=None):
        headers = [origin] if origin else []
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        self.communicator = WebsocketCommunicator(application, path or path_of(board), headers)
        self.seen: list[dict] = []

    async def connect(self) -> bool:
        connected, _code = await self.communicator.connect(timeout=WAIT)
        return connected

    async def join(self, **hello) -> list[dict]:
        """Connect and say hello; return what came up to `ready` (snapshot or missed events)."""
        assert await self.connect()
        await self.send({"type": "hello", "protocol": 1, **hello})
        return await self.until("ready")

    async def send(self, message) -> None:
        text = message if isinstance(message, str) else json.dumps(message)
        await self.communicator.send_to(text_data=text)

    async def command(self, kind: str, **fields) -> str:
        command_id = fields.pop("id", None) or new_id()
        await self.send({"type": kind, "id": command_id, **fields})
        return command_id

    async def receive(self) -> dict:
        message = json.loads(await self.communicator.receive_from(timeout=WAIT))
        self.seen.append(message)
        return message

    async def until(self, kind: str, **match) -> list[dict]:
        """Messages up to and including the first of `kind` whose fields match."""
        received = []
        while True:
            message = await self.receive()
            received.append(message)
            if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
                return received

    async def first(self, kind: str, **match) -> dict:
        """The first message of `kind` matching, already received or still to come."""
        for message in self.seen:
            if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
                return message
        return (await self.until(kind, **match))[-1]

    async def answer(self, command_id: str) -> dict:
        """The ack or error of a command (events may come before it)."""
        while True:
            message = await self.receive()
            if message["type"] in ("ack", "error") and message.get("id") == command_id:
                return message

    async def run(self, kind: str, **fields) -> dict:
        return await self.answer(await self.command(kind, **fields))

    async def closed_with(self) -> int:
        """The close code the server ends with (messages before it are kept in `seen`)."""
        while True:
            output = await self.communicator.receive_output(timeout=WAIT)
            if output["type"] == "websocket.close":
                return output.get("code", 1000)
            self.seen.append(json.loads(output["text"]))

    async def leave(self) -> None:
        await self.communicator.disconnect(timeout=WAIT)
