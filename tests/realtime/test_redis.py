"""The fan-out on a real Redis (started by the test): one message per process, and no card lost
when Redis restarts in the middle of a session.

Run: `.venv/bin/pytest -q -m redis tests/realtime/test_redis.py` (needs redis-server).
"""

import asyncio

import pytest
from channels_redis.core import RedisChannelLayer

from consultation.actions.boards import run_command
from consultation.models import Card
from realtime.fanout import FanOut, LocalSocket
from realtime.publish import board_message
from tests.realtime.sockets import Socket, db, login_cookie, new_id, run
from tests.services import redis_server  # noqa: F401 (fixture)

pytestmark = pytest.mark.redis

WAIT = 30  # seconds: a ceiling for a reconnection with backoff, never a measure


@pytest.fixture
def redis_layer(settings, redis_server):  # noqa: F811
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_server.url]},
        }
    }
    return redis_server


class Client:
    def __init__(self):
        self.texts: list[str] = []
        self.arrived = asyncio.Event()

    async def send(self, message):
        self.texts.append(message["text"])
        self.arrived.set()


def test_each_process_gets_one_message_per_event_for_all_its_sockets(redis_layer):
    async def scenario():
        # Two processes: two layers (two client prefixes, like two Daphnes), two fan-outs.
        processes = [FanOut(RedisChannelLayer(hosts=[redis_layer.url])) for _ in range(2)]
        clients = {hub: [Client() for _ in range(3)] for hub in processes}
        for hub, group_clients in clients.items():
            for index, client in enumerate(group_clients):
                socket = LocalSocket(
                    client.send,
                    participant_id=index,
                    audience="participant",
                    fetch_since=None,
                    resync=lambda: None,
                )
                socket.end_sync(0)
                await hub.attach("board.41", socket)
        publisher = RedisChannelLayer(hosts=[redis_layer.url])
        event = {"seq": 1, "audiences": {"staff": {"t": "s"}, "participant": {"t": "p"}}}
        await publisher.group_send("board.41", board_message("board.41", event))
        for group_clients in clients.values():
            for client in group_clients:
                await asyncio.wait_for(client.arrived.wait(), WAIT)
                assert client.texts == ['{"t":"p"}']
        assert [hub.received for hub in processes] == [1, 1]
        for hub in processes:
            hub._stop()
            await hub.layer.flush()

    run(scenario)


def test_an_idle_listener_does_not_time_out(redis_layer):
    # redis-py 8 reads with a 5 s timeout by default, the time channels_redis blocks in BZPOPMIN.
    async def scenario():
        hub = FanOut(RedisChannelLayer(hosts=[redis_layer.url]))
        client = Client()
        socket = LocalSocket(
            client.send, participant_id=1, audience="staff", fetch_since=None, resync=lambda: None
        )
        socket.end_sync(0)
        await hub.attach("board.42", socket)
        await asyncio.sleep(7)
        assert hub.failures == 0
        await hub.layer.group_send("board.42", board_message("board.42", {
            "seq": 1, "audiences": {"staff": {"t": "s"}}
        }))  # fmt: skip
        await asyncio.wait_for(client.arrived.wait(), WAIT)
        assert client.texts == ['{"t":"s"}']
        await hub.detach("board.42", socket)
        await hub.layer.flush()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_no_card_is_lost_or_doubled_when_redis_restarts(redis_layer, board, guest, facilitator):
    cookie = login_cookie(facilitator)
    column = board.columns.first().pk

    def add(text):
        command = {"type": "card.add", "id": new_id(), "column": column, "text": text}
        return run_command(guest, board, command)

    async def scenario():
        author, host = Socket(board), Socket(board, cookie=cookie)
        await author.join(token=guest.token)
        await host.join()
        first = await author.run("card.add", column=column, text="Avant la coupure")
        await host.first("card.added", seq=first["seq"])

        redis_layer.stop()
        # Typed while Redis is down: committed and acknowledged; the broadcast fails.
        during = await author.run("card.add", column=column, text="Pendant la coupure")
        assert during["type"] == "ack"
        redis_layer.start()
        await asyncio.wait_for(host.first("card.added", seq=during["seq"]), WAIT)

        after = await db(add, "Après la coupure")
        await asyncio.wait_for(host.first("card.added", seq=after["seq"]), WAIT)
        added = [(m["seq"], m["card"]["text"]) for m in host.seen if m["type"] == "card.added"]
        assert added == [
            (1, "Avant la coupure"),
            (2, "Pendant la coupure"),
            (3, "Après la coupure"),
        ]
        await author.leave()
        await host.leave()

    run(scenario)
    assert Card.objects.count() == 3
