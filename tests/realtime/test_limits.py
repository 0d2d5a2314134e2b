"""Limits that hold across sockets: commands per participant, open sockets per address.

Replays the review's flood (one guest on five sockets sent 268 cards in 8 s) on the real ASGI
stack. Time is a test clock: windows change only when a test moves it.
"""

import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache

from consultation.actions.boards import join_session
from consultation.models import Card
from consultation.ratelimit import parse_rate
from realtime import limits
from realtime.consumers import BoardConsumer
from tests.realtime.sockets import Socket, login_cookie, run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_layer")]

LIMIT = 12


class Clock:
    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture
def clock(monkeypatch):
    """The limits' wall clock, at the start of a minute; the sockets' token bucket stopped, and
    no `hello` deadline (a loaded machine must not close a waiting socket mid-test)."""
    clock = Clock(time.time() // 3600 * 3600 + 60)
    monkeypatch.setattr(limits, "time", clock)
    monkeypatch.setattr(BoardConsumer, "clock", staticmethod(lambda: 1000.0))
    monkeypatch.setattr(BoardConsumer, "hello_timeout", 3600.0)
    return clock


@pytest.fixture
def budget(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "live_commands": f"{LIMIT}/m"}
    return LIMIT


@pytest.fixture
def column(board) -> int:
    return board.columns.order_by("position").first().pk


def guest_of(session, nickname):
    participant, token = join_session(AnonymousUser(), session.join_code, nickname=nickname)
    participant.token = token
    return participant


def at(address: str, board, **kwargs) -> Socket:
    socket = Socket(board, **kwargs)
    socket.communicator.scope["client"] = [address, 50000]
    return socket


async def send_cards(socket, column, count, prefix) -> list[str]:
    return [
        await socket.command("card.add", column=column, text=f"{prefix} {n}") for n in range(count)
    ]


async def answers_to(socket, ids) -> dict[str, dict]:
    return {command_id: await socket.answer(command_id) for command_id in ids}


# --- commands per participant -----------------------------------------------------------------


def test_one_guest_on_five_sockets_gets_one_budget(board, guest, column, clock, budget):
    async def scenario():
        sockets = [at("192.0.2.10", board) for _ in range(5)]
        for socket in sockets:
            await socket.join(token=guest.token)
        sent = [await send_cards(s, column, 10, f"Carte {i}") for i, s in enumerate(sockets)]
        answers = {}
        for socket, ids in zip(sockets, sent, strict=True):
            answers.update(await answers_to(socket, ids))
        for socket in sockets:
            await socket.leave()
        return answers

    answers = run(scenario)
    kinds = [a["type"] for a in answers.values()]
    assert len(answers) == 50  # every command is answered: none dropped silently
    assert kinds.count("ack") == budget
    refused = [a for a in answers.values() if a["type"] == "error"]
    assert {a["code"] for a in refused} == {"rate_limited"}
    assert all("instant" in a["message"] for a in refused)
    assert Card.objects.filter(author=guest).count() == budget
    # Past the budget this process refuses without asking Redis again: one hit over, not 38.
    window = int(clock.now // 60)
    assert cache.get(f"live:commands:{guest.pk}:{window}") == budget + 1


def test_another_participant_keeps_their_budget(board, guest, live_session, column, clock, budget):
    other = guest_of(live_session, "Lou")

    async def scenario():
        flooder, neighbour = at("192.0.2.10", board), at("192.0.2.10", board)
        await flooder.join(token=guest.token)
        await neighbour.join(token=other.token)
        await answers_to(flooder, await send_cards(flooder, column, budget + 5, "Spam"))
        answer = await neighbour.run("card.add", column=column, text="Un abri à vélos")
        await flooder.leave()
        await neighbour.leave()
        return answer

    assert run(scenario)["type"] == "ack"


def test_a_refused_command_sent_again_in_the_next_window_is_applied_once(
    board, guest, column, clock, budget
):
    async def scenario():
        socket = at("192.0.2.10", board)
        await socket.join(token=guest.token)
        ids = await send_cards(socket, column, budget + 1, "Idée")
        assert (await answers_to(socket, ids))[ids[-1]]["code"] == "rate_limited"
        clock.now += 60  # the next window: the client's resend goes through
        resent = await socket.run("card.add", id=ids[-1], column=column, text=f"Idée {budget}")
        again = await socket.run("card.add", id=ids[-1], column=column, text=f"Idée {budget}")
        await socket.leave()
        return resent, again

    resent, again = run(scenario)
    assert resent["type"] == again["type"] == "ack"
    assert resent["result"]["card"]["id"] == again["result"]["card"]["id"]
    assert Card.objects.filter(author=guest).count() == budget + 1


def test_staff_have_a_budget_of_their_own(board, facilitator, column, clock, budget, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "live_commands_staff": "3/m"}
    cookie = login_cookie(facilitator)

    async def scenario():
        host = Socket(board, cookie=cookie)
        await host.join()
        answers = await answers_to(host, await send_cards(host, column, 4, "Consigne"))
        await host.leave()
        return [a["type"] for a in answers.values()]

    assert run(scenario) == ["ack", "ack", "ack", "error"]


@pytest.mark.parametrize("rate", ["", "60", "60/semaine", "beaucoup/m"])
def test_a_malformed_rate_is_a_configuration_error_in_french(rate):
    with pytest.raises(ValueError, match="Limite de débit invalide"):
        limits.CommandBudget(rate)
    with pytest.raises(ValueError):
        parse_rate(rate)


# --- open sockets per address -----------------------------------------------------------------


@pytest.fixture
def cap(settings):
    settings.LIVE_GUEST_SOCKETS_PER_ADDRESS = 3
    return 3


def test_sockets_beyond_the_cap_per_address_are_refused_in_french(board, guest, clock, cap):
    async def scenario():
        room = [at("192.0.2.10", board) for _ in range(cap)]
        for socket in room:
            assert await socket.connect()
        extra = at("192.0.2.10", board)
        assert await extra.connect()
        code = await extra.closed_with()
        elsewhere = at("198.51.100.7", board)
        await elsewhere.join(token=guest.token)  # another address is not affected
        for socket in [*room, elsewhere]:
            await socket.leave()
        return code, extra.seen

    code, seen = run(scenario)
    assert code == 4429
    assert seen == [
        {
            "type": "error",
            "id": None,
            "code": "too_many_connections",
            "message": "Trop de connexions ouvertes depuis ce réseau : "
            "nouvel essai dans un instant.",
        }
    ]


def test_a_closed_socket_frees_its_slot(board, guest, clock, cap):
    async def scenario():
        room = [at("192.0.2.10", board) for _ in range(cap)]
        for socket in room:
            assert await socket.connect()
        await room[0].leave()
        late = at("192.0.2.10", board)
        await late.join(token=guest.token)
        for socket in [*room[1:], late]:
            await socket.leave()

    run(scenario)


def test_logged_in_people_are_not_counted(board, resident, live_session, clock, cap):
    join_session(resident, live_session.join_code)
    cookie = login_cookie(resident)

    async def scenario():
        room = [at("192.0.2.10", board) for _ in range(cap)]
        for socket in room:
            assert await socket.connect()
        person = at("192.0.2.10", board, cookie=cookie)
        snapshot, _ready = await person.join()
        for socket in [*room, person]:
            await socket.leave()
        return snapshot

    assert run(scenario)["type"] == "snapshot"


def test_behind_the_proxy_the_forwarded_address_counts(board, guest, clock, cap, settings):
    settings.TRUSTED_PROXY_HOPS = 1

    def behind_proxy(address, forged="203.0.113.66"):
        socket = Socket(board)
        socket.communicator.scope["client"] = ["10.0.0.2", 40000]  # the proxy
        socket.communicator.scope["headers"].append(
            (b"x-forwarded-for", f"{forged}, {address}".encode())
        )
        return socket

    async def scenario():
        room = [behind_proxy("192.0.2.10") for _ in range(cap)]
        for socket in room:
            assert await socket.connect()
        refused = behind_proxy("192.0.2.10", forged="203.0.113.99")  # forging the left part
        assert await refused.connect()
        code = await refused.closed_with()
        other = behind_proxy("198.51.100.7")
        await other.join(token=guest.token)
        for socket in [*room, other]:
            await socket.leave()
        return code

    assert run(scenario) == 4429


def test_a_dead_process_sockets_stop_counting_within_a_window(board, guest, clock, cap):
    # Another process counted `cap` sockets from this address, then died: it never subtracts
    # them, and never adds them again to the next window.
    window = int(clock.now // limits.SOCKET_WINDOW)
    limits._add("192.0.2.10", window, cap)

    async def scenario():
        refused = at("192.0.2.10", board)
        assert await refused.connect()
        assert await refused.closed_with() == 4429
        clock.now += limits.SOCKET_WINDOW
        ours = [at("192.0.2.10", board) for _ in range(cap)]
        for socket in ours:
            await socket.join(token=guest.token)  # admitted: the dead process's count is gone
        clock.now += limits.SOCKET_WINDOW  # our own sockets are counted again in each window
        extra = at("192.0.2.10", board)
        assert await extra.connect()
        code = await extra.closed_with()
        for socket in ours:
            await socket.leave()
        return code

    assert run(scenario) == 4429
