"""The websocket of one live board (docs/realtime-protocol.md, version 1).

The consumer authenticates, validates, routes and delivers; it decides nothing. Every command
goes to `consultation.actions.boards.run_command`, which checks the right to act on each
message, writes, and publishes after commit. Board events reach the socket through the
process's fan-out (realtime.fanout), not through this class.

It is a plain ASGI application rather than a Channels consumer: a Channels consumer gets a
channel-layer channel per socket and hops to a thread before each handler, which is exactly the
per-socket cost the fan-out exists to avoid.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from channels.db import database_sync_to_async
from django.db import connection
from django.utils.translation import gettext as _

from consultation.actions.boards import Admission, admit, record_presence, run_command
from consultation.errors import ActionRefused, PermissionRefused
from consultation.identity import second_factor
from consultation.live import audience_of, board_events_since, board_snapshot
from consultation.models import Board, Participant
from realtime import fanout, limits, wire
from realtime.groups import board_group
from realtime.publish import dumps
from realtime.schemas import SchemaError, command_id_of, validate_message

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024
HELLO_TIMEOUT = 10.0  # seconds
RATE, BURST = 20.0, 40  # messages per second on one connection, and the burst allowed
REFUSALS_BEFORE_CLOSE = 200
PRESENCE_REFRESH = 30.0  # seconds between two presence marks from pings (window: 90 s)

# Daphne (autobahn) sends only 1000 and 3000-4999: the RFC codes 1009 and 1011 become 4009, 4500.
CLOSE_TOO_BIG, CLOSE_SERVER_ERROR = 4009, 4500
CLOSE_BAD_HELLO, CLOSE_NOT_LOGGED_IN, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND = 4400, 4401, 4403, 4404
CLOSE_FLOOD = 4429
CLOSE_TOO_MANY_SOCKETS = 4429  # from one address without an account (realtime.limits)
ADMISSION_CLOSE_CODES = {
    "not_found": CLOSE_NOT_FOUND,
    "closed": CLOSE_FORBIDDEN,
    "removed": CLOSE_FORBIDDEN,
    "unknown": CLOSE_NOT_LOGGED_IN,
    "other_table": CLOSE_FORBIDDEN,
}

ERROR_CODES = frozenset(
    {
        "bad_json",
        "unknown_type",
        "invalid",
        "too_long",
        "not_found",
        "forbidden",
        "locked",
        "time_up",
        "wrong_step",
        "budget_spent",
        "rate_limited",
        "too_many_connections",
    }
)


class Closing(Exception):
    """End the connection with this close code."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class TokenBucket:
    """`rate` messages a second on average, `burst` at once."""

    def __init__(self, rate: float, burst: int, clock):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = float(burst)
        self.updated = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def orm(function):
    """Run ORM work off the event loop.

    Channels' default runs every ORM call of the process in ONE thread: during a join storm the
    handshakes' own session lookups (AuthMiddleware) queued behind hundreds of snapshots, past
    Daphne's 5 s handshake timeout. On PostgreSQL our calls go to the thread pool instead (one
    connection per thread, from the pool); SQLite admits one writer at a time: one thread.
    """
    return database_sync_to_async(function, thread_sensitive=connection.vendor == "sqlite")


def protocol_code(refusal: ActionRefused) -> str:
    """The protocol's error code for a refusal (actions have a few finer codes of their own)."""
    if refusal.code in ERROR_CODES:
        return refusal.code
    return "forbidden" if isinstance(refusal, PermissionRefused) else "invalid"


class BoardConsumer:
    """One socket on ws/sessions/<session_id>/boards/<board_id>/."""

    hello_timeout = HELLO_TIMEOUT
    clock = staticmethod(time.monotonic)

    @classmethod
    def as_asgi(cls):
        async def app(scope, receive, send):
            await cls(scope, receive, send).run()

        return app

    def __init__(self, scope, receive, send):
        self.scope, self.receive, self.send = scope, receive, send
        route = scope["url_route"]["kwargs"]
        self.session_id, self.board_id = int(route["session_id"]), int(route["board_id"])
        self.group = board_group(self.board_id)
        self.participant: Participant | None = None
        self.board: Board | None = None
        self.socket: fanout.LocalSocket | None = None
        self.fanout: fanout.FanOut | None = None
        self.bucket = TokenBucket(RATE, BURST, self.clock)
        self.address = limits.socket_address(scope)
        self.counted = False  # among the open sockets of its address (not logged in)
        self.refused_in_a_row = 0
        self.presence_marked_at: float | None = None
        self._sync_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()

    async def run(self) -> None:
        if (await self.receive())["type"] != "websocket.connect":
            return
        await self.send({"type": "websocket.accept"})
        try:
            await self._count_socket()
            await self._serve()
        except Closing as closing:
            await self._close(closing.code)
        finally:
            await self._leave()

    async def _serve(self) -> None:
        hello = await self._hello()
        if hello is None:
            return
        await self._open(hello)
        while True:
            message = await self.receive()
            if message["type"] == "websocket.disconnect":
                return
            if not self.socket.closed:  # closed by the fan-out: wait for the disconnect
                await self._on_message(message)

    # --- connecting -----------------------------------------------------------------------

    async def _count_socket(self) -> None:
        """Count a socket without a logged-in person (a guest, or anyone before `hello`)
        against its address's cap. Accounts are not counted: a room full of guests on one
        wifi must not keep its facilitator out."""
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            return
        self.counted = await limits.address_sockets().acquire(self.address)
        if not self.counted:
            error = {
                "type": "error",
                "id": None,
                "code": "too_many_connections",
                "message": _(
                    "Trop de connexions ouvertes depuis ce réseau : nouvel essai dans un instant."
                ),
            }
            await self.send({"type": "websocket.send", "text": dumps(error)})
            raise Closing(CLOSE_TOO_MANY_SOCKETS)

    async def _uncount_socket(self) -> None:
        if self.counted:
            self.counted = False
            await limits.address_sockets().release(self.address)

    async def _hello(self) -> dict | None:
        try:
            message = await asyncio.wait_for(self.receive(), self.hello_timeout)
        except TimeoutError:
            raise Closing(CLOSE_BAD_HELLO) from None
        if message["type"] == "websocket.disconnect":
            return None
        try:
            hello = validate_message(json.loads(self._text_of(message)))
        except (TypeError, ValueError, RecursionError, SchemaError):
            raise Closing(CLOSE_BAD_HELLO) from None
        if hello["type"] != "hello":
            raise Closing(CLOSE_BAD_HELLO)
        return hello

    async def _open(self, hello: dict) -> None:
        admitted = await orm(self._admit)(hello.get("token"))
        if isinstance(admitted, int):
            raise Closing(admitted)
        self.participant, self.board = admitted
        socket = fanout.LocalSocket(
            self.send,
            participant_id=self.participant.pk,
            audience=audience_of(self.participant),
            fetch_since=self._fetch_since,
            resync=self._schedule_resync,
            direct=self.scope.get(wire.SCOPE_KEY),
        )
        self.fanout = fanout.for_running_loop()
        try:
            # Attached first: an event committed while the snapshot is read is held, not lost.
            await self.fanout.attach(self.group, socket)
        except Exception:
            logger.exception("could not join %s", self.group)
            raise Closing(fanout.CLOSE_TRY_LATER) from None
        self.socket = socket
        await self._sync(hello.get("last_seq"))
        await self._mark_present()

    def _admit(self, token: str | None) -> tuple[Participant, Board] | int:
        """Who is connecting, and may they see this board? A close code if not."""
        kept_id = self._kept_participant_id(self.session_id)
        admitted = admit(
            self.session_id,
            self.board_id,
            user=second_factor.scope_user(self.scope),
            participant_id=kept_id,
            token=token,
        )
        if isinstance(admitted, Admission):
            return ADMISSION_CLOSE_CODES[admitted]
        return admitted

    def _kept_participant_id(self, session_id: int) -> int | None:
        """The guest kept in the Django session by the HTTP join, if any."""
        django_session = self.scope.get("session")
        kept = django_session.get("live_participants") if django_session is not None else None
        value = kept.get(str(session_id)) if isinstance(kept, dict) else None
        return value if isinstance(value, int) else None

    # --- snapshot and catch-up ------------------------------------------------------------

    async def _sync(self, last_seq: int | None) -> None:
        """Send a snapshot or what was missed since `last_seq`, then `ready`."""
        async with self._sync_lock:
            self.socket.begin_sync()
            texts, seq = await orm(self._read_board)(last_seq)
            for text in texts:
                self.socket.send_text(text)
            self.socket.send_text(dumps({"type": "ready", "last_seq": seq}))
            self.socket.end_sync(seq)

    def _read_board(self, last_seq: int | None) -> tuple[list[str], int]:
        if last_seq is not None:
            events = board_events_since(self.participant, self.board, last_seq)
            if events is not None:
                return [dumps(event) for event in events], (
                    events[-1]["seq"] if events else last_seq
                )
        snapshot = board_snapshot(self.participant, self.board)
        return [dumps(snapshot)], snapshot["seq"]

    async def _fetch_since(self, last_seq: int) -> list[fanout.Event] | None:
        """For the fan-out's catch-up after lost events: the events after `last_seq`."""
        events = await orm(board_events_since)(self.participant, self.board, last_seq)
        return None if events is None else [(event["seq"], dumps(event)) for event in events]

    def _schedule_resync(self) -> None:
        task = asyncio.ensure_future(self._resync())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resync(self) -> None:
        try:
            await self._sync(self.socket.last_seq)
        except Exception:
            logger.exception("resync failed on %s", self.group)
            self.socket.close(CLOSE_SERVER_ERROR)

    # --- messages -------------------------------------------------------------------------

    def _text_of(self, message: dict) -> str | None:
        """The frame's text (None if not UTF-8); Closing(4009) when over 64 KiB."""
        text = message.get("text")
        if text is None:
            data = message.get("bytes") or b""
            if len(data) > MAX_MESSAGE_BYTES:
                raise Closing(CLOSE_TOO_BIG)
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return None
        # A character is at most 4 bytes in UTF-8: encode only when it might be too long.
        if len(text) * 4 > MAX_MESSAGE_BYTES and len(text.encode("utf-8")) > MAX_MESSAGE_BYTES:
            raise Closing(CLOSE_TOO_BIG)
        return text

    async def _on_message(self, message: dict) -> None:
        text = self._text_of(message)
        if not self._allowed(text):
            return
        try:
            data = json.loads(text)
        except (TypeError, ValueError, RecursionError):
            self._error("bad_json", _("Message illisible : un objet JSON est attendu."), None)
            return
        try:
            command = validate_message(data)
        except SchemaError as refusal:
            self._error(refusal.code, refusal.message, command_id_of(data))
            return
        if command["type"] == "hello":
            await self._sync(command.get("last_seq"))
        elif command["type"] == "ping":
            self._emit({"type": "pong", "id": command["id"]})
            await self._mark_present()
        else:
            await self._run(command)

    def _allowed(self, text: str | None) -> bool:
        if self.bucket.take():
            self.refused_in_a_row = 0
            return True
        self.refused_in_a_row += 1
        if self.refused_in_a_row >= REFUSALS_BEFORE_CLOSE:
            raise Closing(CLOSE_FLOOD)
        self._error(
            "rate_limited",
            _("Trop de messages d'un coup : patientez une seconde avant de renvoyer."),
            _id_in(text),
        )
        return False

    async def _run(self, command: dict) -> None:
        try:
            outcome = await orm(self._apply)(command)
        except ActionRefused as refusal:
            self._error(protocol_code(refusal), refusal.message, command["id"])
            return
        except Exception:
            # Not acknowledged: the client resends the command once reconnected.
            logger.exception("command %s failed on %s", command["type"], self.group)
            raise Closing(CLOSE_SERVER_ERROR) from None
        self._emit({"type": "ack", "id": command["id"], **outcome})

    def _apply(self, command: dict) -> dict:
        """The command, within its author's budget across all their sockets and processes
        (the bucket above is per socket: five sockets were five budgets)."""
        budget = limits.command_budget(self.participant.is_staff_role)
        if not budget.allow(self.participant.pk):
            raise ActionRefused(
                _("Trop d'envois en peu de temps : ils reprendront d'eux-mêmes dans un instant."),
                code="rate_limited",
            )
        return run_command(self.participant, self.board, command)

    async def _mark_present(self) -> None:
        now = self.clock()
        last = self.presence_marked_at
        if last is None or now - last >= PRESENCE_REFRESH:
            self.presence_marked_at = now
            await orm(record_presence)(self.participant, True)

    def _emit(self, message: dict) -> None:
        self.socket.send_text(dumps(message))

    def _error(self, code: str, text: str, command_id: str | None) -> None:
        self._emit({"type": "error", "id": command_id, "code": code, "message": str(text)})

    # --- closing --------------------------------------------------------------------------

    async def _close(self, code: int) -> None:
        if self.socket is not None:
            self.socket.close(code)  # after what is already on its way
        else:
            await self.send({"type": "websocket.close", "code": code})

    async def _leave(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self._uncount_socket()
        if self.socket is not None:
            await self.fanout.detach(self.group, self.socket)
            try:
                await orm(record_presence)(self.participant, False)
            except Exception:
                logger.warning("presence not recorded on leaving %s", self.group, exc_info=True)


def _id_in(text: str | None) -> str | None:
    """The command id of a refused message, so the client knows which one to send again."""
    try:
        return command_id_of(json.loads(text))
    except (TypeError, ValueError, RecursionError):
        return None
