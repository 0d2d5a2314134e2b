"""The per-process fan-out: one channel-layer message per process and event, serialised once,
never stalled by one slow socket, and no event lost when the channel layer drops one."""

import asyncio
import json

import pytest
from channels.layers import InMemoryChannelLayer

from consultation.actions.boards import run_command
from realtime import fanout, publish
from realtime.fanout import CLOSE_TRY_LATER, FanOut, LocalSocket, Outbox, Room
from realtime.groups import board_group
from tests.realtime.sockets import Socket, db, login_cookie, new_id, run


class Client:
    """An ASGI `send` that records, and can be made to hang like a stalled TCP connection."""

    def __init__(self, *, stalled: bool = False):
        self.messages: list[dict] = []
        self.gate = asyncio.Event()
        if not stalled:
            self.gate.set()

    async def send(self, message: dict) -> None:
        if not self.gate.is_set():
            await self.gate.wait()
        self.messages.append(message)

    @property
    def texts(self) -> list:
        return [m.get("text", m.get("code")) for m in self.messages]


def local_socket(client: Client, *, audience="participant", participant_id=1, log=None):
    async def fetch_since(last_seq):
        return [(seq, text) for seq, text in (log or []) if seq > last_seq]

    socket = LocalSocket(
        client.send,
        participant_id=participant_id,
        audience=audience,
        fetch_since=fetch_since,
        resync=lambda: None,
    )
    socket.end_sync(0)
    return socket


def event(seq, group="board.1", text=None, close=None):
    text = text or f"e{seq}"
    texts = {"staff": f"S{text}", "participant": text}
    return {"type": "board.event", "group": group, "seq": seq, "texts": texts,
            "close_participant": close}  # fmt: skip


# --- outboxes: nobody waits for a slow socket ----------------------------------------------


def test_a_stalled_socket_does_not_hold_back_the_others():
    async def scenario():
        room = Room(FanOut(InMemoryChannelLayer()), "board.1")
        stalled, others = Client(stalled=True), [Client() for _ in range(3)]
        sockets = [local_socket(c) for c in [stalled, *others]]
        room.sockets.update(sockets)
        room.receive(event(1))
        room.receive(event(2))
        assert all(c.texts == ["e1", "e2"] for c in others)
        assert stalled.texts == []
        stalled.gate.set()  # the slow client reads again: it gets everything, in order
        for _ in range(5):
            await asyncio.sleep(0)
        assert stalled.texts == ["e1", "e2"]

    asyncio.run(scenario())


def test_an_outbox_too_far_behind_closes_its_socket_so_the_client_catches_up():
    async def scenario():
        client = Client(stalled=True)
        outbox = Outbox(client.send, limit=3)
        accepted = [outbox.push({"type": "websocket.send", "text": str(i)}) for i in range(6)]
        assert accepted == [True, True, True, True, False, False]
        assert outbox.closed
        client.gate.set()
        for _ in range(5):
            await asyncio.sleep(0)
        assert client.texts == ["0", CLOSE_TRY_LATER]

    asyncio.run(scenario())


def test_a_send_completing_at_once_needs_no_task():
    async def scenario():
        client = Client()
        outbox = Outbox(client.send)
        before = len(asyncio.all_tasks())
        for i in range(100):
            outbox.push({"type": "websocket.send", "text": str(i)})
        assert len(asyncio.all_tasks()) == before
        assert client.texts == [str(i) for i in range(100)]

    asyncio.run(scenario())


# --- ordering: snapshot first, then what came meanwhile, never twice ------------------------


def test_events_arriving_during_the_snapshot_are_held_and_deduplicated():
    async def scenario():
        client = Client()
        socket = local_socket(client)
        socket.begin_sync()
        for seq in (4, 5, 6):
            socket.deliver(seq, {"type": "websocket.send", "text": f"e{seq}"})
        assert client.texts == []
        socket.send_text("snapshot@5")
        socket.end_sync(5)
        socket.deliver(6, {"type": "websocket.send", "text": "e6"})  # the same, again
        assert client.texts == ["snapshot@5", "e6"]

    asyncio.run(scenario())


def test_a_gap_in_the_numbering_is_filled_from_the_event_log_once_per_audience():
    async def scenario():
        log = [(seq, f"e{seq}") for seq in range(1, 6)]
        fetches = []
        room = Room(FanOut(InMemoryChannelLayer()), "board.1")
        clients = [Client() for _ in range(3)]
        for index, client in enumerate(clients):
            socket = local_socket(client, log=log, participant_id=index)
            original = socket.fetch_since

            async def counted(last_seq, original=original):
                fetches.append(last_seq)
                return await original(last_seq)

            socket.fetch_since = counted
            room.sockets.add(socket)
        room.receive(event(1))
        room.receive(event(4))  # 2 and 3 were lost on the way
        room.receive(event(5))
        await room._catching_up
        assert fetches == [1]
        assert all(c.texts == ["e1", "e2", "e3", "e4", "e5"] for c in clients)

    asyncio.run(scenario())


def test_close_participant_closes_only_that_persons_sockets():
    async def scenario():
        room = Room(FanOut(InMemoryChannelLayer()), "board.1")
        removed, other = Client(), Client()
        room.sockets.update({local_socket(removed, participant_id=7), local_socket(other)})
        room.receive(event(1, close=7))
        assert removed.texts == ["e1", 4403]
        assert other.texts == ["e1"]
        assert len(room.sockets) == 1

    asyncio.run(scenario())


# --- the listener survives its channel layer -----------------------------------------------


class FlakyLayer(InMemoryChannelLayer):
    """Fails the next receive once, like Redis going away, and counts group joins."""

    def __init__(self):
        super().__init__()
        self.fail_next = False
        self.joins = 0

    async def group_add(self, group, channel):
        self.joins += 1
        await super().group_add(group, channel)

    async def receive(self, channel):
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("Redis went away")
        return await super().receive(channel)


def test_after_a_layer_failure_the_listener_rejoins_and_catches_up(monkeypatch):
    monkeypatch.setattr(fanout, "RETRY_FIRST", 0)

    async def scenario():
        layer = FlakyLayer()
        hub = FanOut(layer)
        client = Client()
        log = [(1, "e1"), (2, "e2")]
        socket = local_socket(client, log=log)
        await hub.attach("board.1", socket)
        assert layer.joins == 1
        layer.fail_next = True
        await layer.group_send("board.1", {"type": "wake"})  # the listener meets the failure
        while client.texts != ["e1", "e2"]:
            await asyncio.sleep(0)
        assert layer.joins == 2
        await layer.group_send("board.1", event(3, group="board.1"))
        while client.texts != ["e1", "e2", "e3"]:
            await asyncio.sleep(0)
        await hub.detach("board.1", socket)
        assert hub._listener is None

    asyncio.run(scenario())


# --- on the real stack: one channel-layer message per process and event ---------------------


@pytest.mark.django_db(transaction=True)
def test_one_layer_message_per_process_and_event_serialised_once(
    board, guest, facilitator, fresh_layer, monkeypatch
):
    cookie = login_cookie(facilitator)
    column = board.columns.first().pk
    layer = fresh_layer
    group_sends, channels, dumped = [], [], []
    original_send, original_new, original_dumps = layer.group_send, layer.new_channel, publish.dumps

    async def group_send(group, message):
        group_sends.append((group, message))
        await original_send(group, message)

    async def new_channel(*args, **kwargs):
        channels.append(await original_new(*args, **kwargs))
        return channels[-1]

    def dumps(message):
        dumped.append(message["type"])
        return original_dumps(message)

    monkeypatch.setattr(layer, "group_send", group_send)
    monkeypatch.setattr(layer, "new_channel", new_channel)
    monkeypatch.setattr(publish, "dumps", dumps)

    async def scenario():
        sockets = [Socket(board) for _ in range(5)]
        for socket in sockets:
            await socket.join(token=guest.token)
        host = Socket(board, cookie=cookie)
        await host.join()
        group_sends.clear()
        dumped.clear()
        command = {"type": "card.add", "id": new_id(), "column": column, "text": "Un seul envoi"}
        await db(run_command, guest, board, command)
        outputs = []
        for socket in sockets:
            while True:
                output = await socket.communicator.receive_output(timeout=10)
                if '"card.added"' in output.get("text", ""):
                    outputs.append(output)
                    break
        numbered = [(g, m["seq"]) for g, m in group_sends if m.get("seq") is not None]
        assert numbered == [(board_group(board.pk), 1)]
        # Once per audience, not per socket (presence marks of the joins may still be passing).
        assert [kind for kind in dumped if kind != "presence"] == ["card.added", "card.added"]
        # The five sockets were handed the very same text object: serialised once.
        assert len({id(o["text"]) for o in outputs}) == 1
        assert json.loads(outputs[0]["text"])["card"]["text"] == "Un seul envoi"
        assert len(channels) == 1  # one channel for the process, none per socket
        hub = fanout.for_running_loop()
        assert len(hub.rooms[board_group(board.pk)].sockets) == 6
        for socket in [*sockets, host]:
            await socket.leave()
        assert hub.rooms == {} and hub._listener is None

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_an_event_lost_by_the_layer_is_delivered_from_the_log(board, guest, fresh_layer):
    column = board.columns.first().pk
    layer = fresh_layer
    original_send = layer.group_send

    async def lossy(group, message):
        if message.get("seq") == 1:
            return  # lost on the way: a full channel, a Redis restart...
        await original_send(group, message)

    def add(text):
        command = {"type": "card.add", "id": new_id(), "column": column, "text": text}
        return run_command(guest, board, command)

    async def scenario():
        watcher = Socket(board)
        await watcher.join(token=guest.token)
        layer.group_send = lossy
        await db(add, "Perdue en route")
        await db(add, "Arrivée")
        await watcher.first("card.added", seq=2)
        added = [(m["seq"], m["card"]["text"]) for m in watcher.seen if m["type"] == "card.added"]
        assert added == [(1, "Perdue en route"), (2, "Arrivée")]
        await watcher.leave()

    try:
        run(scenario)
    finally:
        layer.group_send = original_send
