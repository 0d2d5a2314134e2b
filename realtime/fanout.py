"""Per-process fan-out of board events: one channel-layer message per process, serialised once.

Channels' default gives every socket its own channel, so a board event costs one channel-layer
message per socket. Here each process (each event loop) has ONE channel and one listener task;
the group `board_group(id)` holds one member per process, the process channel, added when the
first local socket attaches to the board. `realtime.publish` serialises each audience's message
once; the listener hands that same text to every local socket of the audience, without the
consumer's handler dispatch (Channels 4.2+ hops to a thread before each handler).

Nothing here blocks a broadcast on one socket: a send that cannot complete at once (a slow
client under a server with back-pressure) finishes in its own task while later messages for
that socket wait in its outbox; an outbox that overflows closes its socket (4503), and the
client reconnects and catches up from its last sequence number.

A board event may be lost in transit (Redis restart, a full channel): the listener notices a
gap in a board's numbering, or its own channel-layer failure, and fetches what the board's local
sockets missed from the event log (through the sockets' `fetch_since`). Only a socket too far
behind for the log gets a fresh snapshot (its `resync`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import types
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from channels.layers import get_channel_layer

from realtime import wire

logger = logging.getLogger(__name__)

STAFF, PARTICIPANT = "staff", "participant"
BOARD_EVENT = "board.event"
OUTBOX_LIMIT = 1_000  # messages waiting for one slow socket before it is closed
# 4xxx: Daphne sends only 1000 and 3000-4999 (1013 "try again later" is refused by it).
CLOSE_TRY_LATER = 4503  # the client reconnects and catches up from its last_seq
RETRY_FIRST, RETRY_MAX = 0.1, 5.0  # listener backoff after a channel-layer failure (seconds)
REFRESH_MAX = 3_600.0  # re-add group memberships at least this often (seconds)
# channels_redis blocks 5 s in BZPOPMIN, and redis-py 8 reads with a 5 s socket timeout by
# default: an idle listener would fail every 5 s. Block for less than the read timeout.
BLOCKING_POP_SECONDS = 2

# One event of a board, as a socket receives it: its number (None if ephemeral) and its text.
Event = tuple[int | None, str]
FetchSince = Callable[[int], Awaitable[list[Event] | None]]


class TextMessage(dict):
    """The ASGI message that sends a text; one per audience and event, shared by its sockets,
    with the websocket frame of the text built once, when a socket first writes it directly
    (`realtime.wire`)."""

    _frame: bytes | None = None

    @property
    def frame(self) -> bytes:
        if self._frame is None:
            self._frame = wire.frame(self["text"])
        return self._frame


def text_message(text: str) -> TextMessage:
    return TextMessage(type="websocket.send", text=text)


class Outbox:
    """Sends ASGI messages to one socket in order, never making the caller wait.

    Daphne's `send` completes without suspending (it writes into Twisted's buffer), so the
    common case runs the send coroutine to completion at once, with no task per socket and
    message. A send that does suspend (a server with back-pressure) is finished by a task, and
    later messages queue behind it.
    """

    def __init__(
        self,
        send: Callable[[dict], Coroutine],
        limit: int = OUTBOX_LIMIT,
        direct: wire.DirectSocket | None = None,
    ):
        self._send = send
        self._direct = direct
        self._queue: deque[dict] = deque()
        self._writer: asyncio.Task | None = None
        self._limit = limit
        self.closed = False

    def push(self, message: dict) -> bool:
        """Send or queue `message`; False if the socket is too far behind (then closed)."""
        if self.closed:
            return False
        if message["type"] == "websocket.close":
            self.closed = True
        if self._writer is None:
            # Nothing of ours is waiting: the frame may go straight to the socket.
            direct = self._direct
            if direct is not None and type(message) is TextMessage and direct.write(message.frame):
                return True
            self._start(message)
            return True
        if len(self._queue) >= self._limit:
            self._queue.clear()
            self._queue.append({"type": "websocket.close", "code": CLOSE_TRY_LATER})
            self.closed = True
            return False
        self._queue.append(message)
        return True

    def _start(self, message: dict) -> None:
        coroutine = self._send(message)
        try:
            pending = coroutine.send(None)
        except StopIteration:
            return
        except Exception:
            logger.debug("send failed on a closing socket", exc_info=True)
            self.closed = True
            return
        self._writer = asyncio.ensure_future(self._finish(_resume(coroutine, pending)))

    async def _finish(self, first: Awaitable) -> None:
        try:
            await first
            while self._queue:
                await self._send(self._queue.popleft())
        except Exception:
            logger.debug("send failed on a closing socket", exc_info=True)
            self.closed = True
        finally:
            self._writer = None

    def cancel(self) -> None:
        self.closed = True
        self._queue.clear()
        if self._writer is not None:
            self._writer.cancel()


@types.coroutine
def _resume(coroutine: Coroutine, pending: Any):
    """Drive a coroutine already run up to its first suspension (it waits on `pending`)."""
    while True:
        try:
            sent = yield pending
        except BaseException as error:  # cancellation: the coroutine must see it
            try:
                pending = coroutine.throw(error)
            except StopIteration as stop:
                return stop.value
            continue
        try:
            pending = coroutine.send(sent)
        except StopIteration as stop:
            return stop.value


class LocalSocket:
    """One websocket of this process on a board, as the fan-out sees it.

    `last_seq` is the highest board event number sent to it. While `syncing` (its snapshot or
    catch-up is being read), live events are held and sent afterwards, minus those already
    covered.
    """

    def __init__(
        self,
        send: Callable[[dict], Coroutine],
        *,
        participant_id: int,
        audience: str,
        fetch_since: FetchSince,
        resync: Callable[[], None],
        direct: wire.DirectSocket | None = None,
    ):
        self.outbox = Outbox(send, direct=direct)
        self.participant_id = participant_id
        self.audience = audience
        self.fetch_since = fetch_since
        self.resync = resync
        self.last_seq = 0
        self.syncing = True
        self._held: list[tuple[int | None, dict]] = []

    @property
    def closed(self) -> bool:
        return self.outbox.closed

    def deliver(self, seq: int | None, message: dict) -> None:
        if self.syncing:
            self._held.append((seq, message))
        elif seq is None:
            self.outbox.push(message)
        elif seq > self.last_seq:
            self.last_seq = seq
            self.outbox.push(message)

    def send_text(self, text: str) -> None:
        self.outbox.push(text_message(text))

    def begin_sync(self) -> None:
        self.syncing = True

    def end_sync(self, last_seq: int) -> None:
        """The snapshot or catch-up up to `last_seq` is sent: flush what arrived meanwhile."""
        self.last_seq = last_seq
        self.syncing = False
        held, self._held = self._held, []
        for seq, message in held:
            self.deliver(seq, message)

    def close(self, code: int) -> None:
        self.outbox.push({"type": "websocket.close", "code": code})


class Room:
    """The local sockets of one board group."""

    def __init__(self, fanout: FanOut, group: str):
        self.fanout = fanout
        self.group = group
        self.sockets: set[LocalSocket] = set()
        self._pending: list[dict] = []
        self._catching_up: asyncio.Task | None = None

    def receive(self, message: dict) -> None:
        if self._catching_up is not None:
            self._pending.append(message)
        elif self._missed_before(message.get("seq")):
            self._pending.append(message)
            self.catch_up()
        else:
            self._deliver(message)

    def _missed_before(self, seq: int | None) -> bool:
        """Would `seq` leave a hole on a socket? Then events were lost on the way."""
        if seq is None:
            return False
        return any(not s.syncing and seq > s.last_seq + 1 for s in self.sockets)

    def _deliver(self, message: dict) -> None:
        seq = message.get("seq")
        outgoing = {audience: text_message(text) for audience, text in message["texts"].items()}
        closing = message.get("close_participant")
        for socket in list(self.sockets):
            payload = outgoing.get(socket.audience)
            if payload is not None:
                socket.deliver(seq, payload)
            if closing is not None and socket.participant_id == closing:
                socket.close(4403)
            if socket.closed:
                self.sockets.discard(socket)
        self.fanout.delivered += 1

    def catch_up(self) -> None:
        """Fetch what the local sockets missed from the event log, once per audience."""
        if self._catching_up is None:
            self._catching_up = asyncio.ensure_future(self._catch_up())

    async def _catch_up(self) -> None:
        try:
            for audience in (STAFF, PARTICIPANT):
                await self._catch_up_audience(audience)
        except Exception:
            logger.exception("catch-up of %s failed; its sockets resync", self.group)
            for socket in list(self.sockets):
                socket.resync()
        finally:
            self._catching_up = None
        # Straight to the sockets, without looking for holes again: a hole the log could not
        # fill is left to the client, which says hello again when it sees one.
        pending, self._pending = self._pending, []
        for message in sorted(pending, key=lambda m: m.get("seq") or 0):
            self._deliver(message)

    async def _catch_up_audience(self, audience: str) -> None:
        sockets = [s for s in self.sockets if s.audience == audience and not s.syncing]
        if not sockets:
            return
        since = min(socket.last_seq for socket in sockets)
        events = await sockets[0].fetch_since(since)
        if events is None:
            for socket in sockets:
                socket.resync()
            return
        for seq, text in events:
            message = text_message(text)
            for socket in sockets:
                socket.deliver(seq, message)


class FanOut:
    """The fan-out of one process: its channel, its listener and its rooms.

    One per event loop (`for_running_loop`): Daphne runs one loop per process; tests may run
    several loops one after another, each with its own.
    """

    def __init__(self, layer):
        self.layer = layer
        self.channel: str | None = None
        self.rooms: dict[str, Room] = {}
        self.received = 0  # channel-layer messages taken by the listener
        self.delivered = 0  # board events handed to local sockets
        self.failures = 0  # channel-layer failures met by the listener
        if getattr(layer, "brpop_timeout", 0) > BLOCKING_POP_SECONDS:
            layer.brpop_timeout = BLOCKING_POP_SECONDS
        self._joined: set[str] = set()
        self._membership = asyncio.Lock()
        self._listener: asyncio.Task | None = None
        self._refresher: asyncio.Task | None = None

    async def attach(self, group: str, socket: LocalSocket) -> None:
        """Register a socket; when this returns, events for the group reach it (or are held)."""
        room = self.rooms.get(group) or self.rooms.setdefault(group, Room(self, group))
        room.sockets.add(socket)
        try:
            if self.channel is None:
                self.channel = await self.layer.new_channel()
            self._start()
            await self._sync_membership(group)
        except BaseException:
            await self.detach(group, socket)
            raise

    async def detach(self, group: str, socket: LocalSocket) -> None:
        room = self.rooms.get(group)
        if room is not None:
            room.sockets.discard(socket)
            if not room.sockets:
                del self.rooms[group]
        try:
            await self._sync_membership(group)
        except Exception:
            # Left in the group, this process only receives events it ignores until expiry.
            logger.warning("could not leave %s", group, exc_info=True)
        if not self.rooms:
            self._stop()

    def catch_up_all(self) -> None:
        for room in list(self.rooms.values()):
            room.catch_up()

    async def _sync_membership(self, group: str) -> None:
        # One change at a time: a leave and a join of the same group must not cross.
        async with self._membership:
            wanted, joined = group in self.rooms, group in self._joined
            if wanted and not joined:
                await self.layer.group_add(group, self.channel)
                self._joined.add(group)
            elif joined and not wanted:
                self._joined.discard(group)
                await self.layer.group_discard(group, self.channel)

    async def _rejoin_all(self) -> None:
        async with self._membership:
            for group in list(self.rooms):
                await self.layer.group_add(group, self.channel)
                self._joined.add(group)

    def _start(self) -> None:
        if self._listener is None:
            self._listener = asyncio.ensure_future(self._listen())
            self._refresher = asyncio.ensure_future(self._refresh())

    def _stop(self) -> None:
        for task in (self._listener, self._refresher):
            if task is not None:
                task.cancel()
        self._listener = self._refresher = None

    async def _listen(self) -> None:
        delay = RETRY_FIRST
        failed = False
        while True:
            try:
                if failed:
                    await self._rejoin_all()
                    self.catch_up_all()
                    failed, delay = False, RETRY_FIRST
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("channel layer unavailable, retry in %.1f s", delay, exc_info=True)
                self.failures += 1
                failed = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            self._dispatch(message)

    def _dispatch(self, message: dict) -> None:
        self.received += 1
        if message.get("type") != BOARD_EVENT:
            return
        room = self.rooms.get(message.get("group"))
        if room is None:
            return
        try:
            room.receive(message)
        except Exception:
            # One malformed event must not stop the process's only listener.
            logger.exception("board event not delivered to %s", room.group)

    async def _refresh(self) -> None:
        # Group members expire after group_expiry: re-add ours well before.
        period = min(getattr(self.layer, "group_expiry", 86_400) / 2, REFRESH_MAX)
        while True:
            await asyncio.sleep(period)
            with contextlib.suppress(Exception):
                await self._rejoin_all()


_fanouts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def for_running_loop() -> FanOut:
    """This process's fan-out (one per event loop and channel layer)."""
    loop = asyncio.get_running_loop()
    layer = get_channel_layer()
    fanout = _fanouts.get(loop)
    if fanout is None or fanout.layer is not layer:
        fanout = _fanouts[loop] = FanOut(layer)
    return fanout
