"""The board socket on the real ASGI stack: connecting, snapshot, live events, catch-up,
idempotent commands, and every error and close code of docs/realtime-protocol.md."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser

from consultation import live
from consultation.actions.boards import join_session, open_session, resolve_participant, run_command
from consultation.models import Card, LiveSession
from realtime import consumers
from realtime.consumers import BoardConsumer
from tests.realtime.sockets import Socket, db, guest_cookie, login_cookie, new_id, run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_layer")]


@pytest.fixture
def other_guest(live_session):
    participant, token = join_session(AnonymousUser(), live_session.join_code, nickname="Lou")
    participant.token = token
    return participant


@pytest.fixture
def host_cookie(facilitator):
    return login_cookie(facilitator)


@pytest.fixture
def column(board) -> int:
    return column_of(board)


def column_of(board) -> int:
    return board.columns.order_by("position").first().pk


def add_card(participant, board, text="Un abri à vélos près de la gare"):
    command = {"type": "card.add", "id": new_id(), "column": column_of(board), "text": text}
    return run_command(participant, board, command)


# --- connecting -----------------------------------------------------------------------------


def test_a_guest_gets_the_snapshot_then_ready(board, guest):
    add_card(guest, board)

    async def scenario():
        socket = Socket(board)
        snapshot, ready = await socket.join(token=guest.token)
        assert snapshot["type"] == "snapshot" and snapshot["seq"] == 1
        assert [card["text"] for card in snapshot["cards"]] == ["Un abri à vélos près de la gare"]
        assert snapshot["cards"][0]["mine"] is True
        assert snapshot["me"]["id"] == guest.pk
        assert "participants" not in snapshot  # staff only
        assert ready == {"type": "ready", "last_seq": 1}
        await socket.leave()

    run(scenario)


def test_a_guest_who_joined_over_http_is_known_by_the_session_cookie(board, guest):
    cookie = guest_cookie(guest)

    async def scenario():
        socket = Socket(board, cookie=cookie)
        snapshot, _ready = await socket.join()
        assert snapshot["me"]["name"] == "Camille"
        await socket.leave()

    run(scenario)


def test_a_card_appears_live_on_the_other_sockets_and_is_acked_to_its_author(
    column, board, guest, other_guest, host_cookie
):
    async def scenario():
        author, neighbour, host = Socket(board), Socket(board), Socket(board, cookie=host_cookie)
        await author.join(token=guest.token)
        await neighbour.join(token=other_guest.token)
        await host.join()
        ack = await author.run("card.add", column=column, text="Des bancs à l'ombre")
        assert ack["type"] == "ack" and ack["seq"] == 1
        assert ack["result"]["card"]["mine"] is True
        for socket in (author, neighbour, host):
            event = await socket.first("card.added")
            assert event["seq"] == 1 and event["card"]["text"] == "Des bancs à l'ombre"
            assert event["card"]["key"] == ack["id"]
        for socket in (author, neighbour, host):
            await socket.leave()

    run(scenario)


def test_a_returning_client_gets_only_what_it_missed(board, guest, other_guest):
    async def scenario():
        socket = Socket(board)
        await socket.join(token=guest.token)
        await socket.leave()
        await db(add_card, other_guest, board, "Premier")
        await db(add_card, other_guest, board, "Second")
        back = Socket(board)
        missed = await back.join(token=guest.token, last_seq=0)
        assert [m["type"] for m in missed] == ["card.added", "card.added", "ready"]
        assert [m.get("seq") for m in missed[:2]] == [1, 2]
        assert [m["card"]["text"] for m in missed[:2]] == ["Premier", "Second"]
        assert missed[-1] == {"type": "ready", "last_seq": 2}
        await back.leave()

    run(scenario)


@pytest.mark.parametrize("last_seq", [0, 99])
def test_a_client_too_far_behind_or_ahead_gets_a_snapshot(board, guest, monkeypatch, last_seq):
    monkeypatch.setattr(live, "MAX_CATCH_UP", 1)
    for text in ("Premier", "Second"):
        add_card(guest, board, text)

    async def scenario():
        socket = Socket(board)
        snapshot, ready = await socket.join(token=guest.token, last_seq=last_seq)
        assert snapshot["type"] == "snapshot" and snapshot["seq"] == 2
        assert len(snapshot["cards"]) == 2
        assert ready["last_seq"] == 2
        await socket.leave()

    run(scenario)


def test_hello_again_on_an_open_socket_resends_what_followed(board, guest, other_guest):
    async def scenario():
        socket = Socket(board)
        await socket.join(token=guest.token)
        await db(add_card, other_guest, board, "Premier")
        await socket.first("card.added")
        await socket.send({"type": "hello", "protocol": 1, "last_seq": 0})
        again = await socket.until("ready")
        assert [(m["type"], m.get("seq")) for m in again] == [("card.added", 1), ("ready", None)]
        await socket.leave()

    run(scenario)


def test_a_resent_command_is_applied_once_and_acked_twice_alike(column, board, guest, other_guest):
    async def scenario():
        socket, neighbour = Socket(board), Socket(board)
        await socket.join(token=guest.token)
        await neighbour.join(token=other_guest.token)
        command_id = new_id()
        card = {"column": column, "text": "Une boîte à livres"}
        first = await socket.run("card.add", id=command_id, **card)
        second = await socket.run("card.add", id=command_id, **card)
        assert first == second and first["type"] == "ack"
        await socket.leave()
        # A reconnected client resending it changes nothing either.
        again = Socket(board)
        await again.join(token=guest.token, last_seq=first["seq"])
        assert await again.run("card.add", id=command_id, **card) == first
        await db(add_card, other_guest, board, "Marqueur")
        await neighbour.first("card.added", seq=2)
        assert [m["card"]["text"] for m in neighbour.seen if m["type"] == "card.added"] == [
            "Une boîte à livres",
            "Marqueur",
        ]
        assert await db(Card.objects.filter(text="Une boîte à livres").count) == 1
        await again.leave()
        await neighbour.leave()

    run(scenario)


def test_ping_is_answered_with_pong(board, guest):
    async def scenario():
        socket = Socket(board)
        await socket.join(token=guest.token)
        ping = new_id()
        await socket.send({"type": "ping", "id": ping})
        assert await socket.receive() == {"type": "pong", "id": ping}
        await socket.leave()

    run(scenario)


# --- refused connections ---------------------------------------------------------------------


def test_a_foreign_origin_is_refused_at_the_handshake(board):
    async def scenario():
        socket = Socket(board, origin=(b"origin", b"https://evil.example"))
        assert not await socket.connect()
        without_origin = Socket(board, origin=None)
        assert not await without_origin.connect()

    run(scenario)


@pytest.mark.parametrize(
    "first",
    [
        "pas du json",
        json.dumps({"type": "card.add", "id": "b1b4c3a2-3f0e-4e5b-9c55-0f6b8a1d2e3f"}),
        json.dumps({"type": "hello", "protocol": 2}),
        json.dumps({"type": "hello", "protocol": 1, "extra": True}),
        json.dumps([{"type": "hello", "protocol": 1}]),
    ],
)
def test_a_first_message_that_is_not_a_valid_hello_closes_4400(board, first):
    async def scenario():
        socket = Socket(board)
        assert await socket.connect()
        await socket.send(first)
        assert await socket.closed_with() == 4400

    run(scenario)


def test_no_hello_in_time_closes_4400(board, monkeypatch):
    monkeypatch.setattr(BoardConsumer, "hello_timeout", 0.05)

    async def scenario():
        socket = Socket(board)
        assert await socket.connect()
        assert await socket.closed_with() == 4400

    run(scenario)


def test_an_unknown_session_or_board_closes_4404(board, guest, facilitator, workshop):
    elsewhere = open_session(facilitator, workshop).boards.get()
    paths = [
        f"/ws/sessions/{board.session_id}/boards/{board.pk + 1000}/",
        f"/ws/sessions/{board.session_id + 1000}/boards/{board.pk}/",
        f"/ws/sessions/{board.session_id}/boards/{elsewhere.pk}/",
    ]

    async def scenario():
        for path in paths:
            socket = Socket(board, path=path)
            assert await socket.connect()
            await socket.send({"type": "hello", "protocol": 1, "token": guest.token})
            assert await socket.closed_with() == 4404

    run(scenario)


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_nobody_known_closes_4401(board, other_resident, token):
    outsider = login_cookie(other_resident)

    async def scenario():
        for cookie in (None, outsider):
            socket = Socket(board, cookie=cookie)
            assert await socket.connect()
            hello = {"type": "hello", "protocol": 1}
            if token:
                hello["token"] = token
            await socket.send(hello)
            assert await socket.closed_with() == 4401

    run(scenario)


def test_a_guest_of_another_table_closes_4403(facilitator, workshop):
    session = open_session(facilitator, workshop, tables=2)
    first, second = session.boards.all()
    participant, token = join_session(
        AnonymousUser(), session.join_code, nickname="Léa", board=first
    )

    async def scenario():
        socket = Socket(second)
        assert await socket.connect()
        await socket.send({"type": "hello", "protocol": 1, "token": token})
        assert await socket.closed_with() == 4403

    run(scenario)


def test_a_removed_guest_known_by_token_closes_4403(board, guest, facilitator):
    host = resolve_participant(board.session, user=facilitator)
    remove = {"type": "participant.remove", "id": new_id(), "participant": guest.pk}
    run_command(host, board, remove)

    async def scenario():
        socket = Socket(board)
        assert await socket.connect()
        await socket.send({"type": "hello", "protocol": 1, "token": guest.token})
        assert await socket.closed_with() == 4403

    run(scenario)


def test_a_closed_session_closes_4403(board, guest):
    LiveSession.objects.filter(pk=board.session_id).update(status=LiveSession.Status.CLOSED)

    async def scenario():
        socket = Socket(board)
        assert await socket.connect()
        await socket.send({"type": "hello", "protocol": 1, "token": guest.token})
        assert await socket.closed_with() == 4403

    run(scenario)


# --- bad input on an open socket ------------------------------------------------------------


@pytest.fixture
def joined(board, guest):
    """Run `steps(socket)` on a guest's socket that said hello."""

    def runner(steps):
        async def scenario():
            socket = Socket(board)
            await socket.join(token=guest.token)
            await steps(socket)
            await socket.leave()

        run(scenario)

    return runner


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{pas du json", "bad_json"),
        ("[1, 2]", "bad_json"),
        ("[" * 10_000 + "]" * 10_000, "bad_json"),
        ('{"type": "card.burn", "id": "b1b4c3a2-3f0e-4e5b-9c55-0f6b8a1d2e3f"}', "unknown_type"),
        ('{"type": "card.add", "id": "b1b4c3a2-3f0e-4e5b-9c55-0f6b8a1d2e3f"}', "invalid"),
    ],
)
def test_unreadable_messages_get_an_error_and_the_socket_stays_open(
    column, joined, board, raw, code
):
    async def steps(socket):
        await socket.send(raw)
        error = await socket.receive()
        assert error["type"] == "error" and error["code"] == code
        assert error["message"]
        ack = await socket.run("card.add", column=column, text="Toujours là")
        assert ack["type"] == "ack"

    joined(steps)


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"text": "Sans colonne"}, "invalid", "column"),
        ({"column": 1, "text": "x", "author": 3}, "invalid", "author"),
        ({"column": "1", "text": "x"}, "invalid", "column"),
        ({"column": 1, "text": "é" * 501}, "too_long", "text"),
    ],
)
def test_a_malformed_command_is_refused_naming_the_field(joined, fields, code, field):
    async def steps(socket):
        command_id = await socket.command("card.add", **fields)
        error = await socket.answer(command_id)
        assert (error["type"], error["code"]) == ("error", code)
        assert f"« {field} »" in error["message"]

    joined(steps)
    assert Card.objects.count() == 0


def test_a_message_over_64_kib_closes_4009(joined):
    async def steps(socket):
        await socket.send({"type": "ping", "id": new_id(), "pad": "x" * 65_536})
        assert await socket.closed_with() == 4009

    joined(steps)


def test_objects_of_another_session_are_not_found(joined, facilitator, workshop):
    elsewhere = open_session(facilitator, workshop).boards.get()
    stranger, _token = join_session(AnonymousUser(), elsewhere.session.join_code, nickname="Max")
    their_card = add_card(stranger, elsewhere, "Sur un autre tableau")["result"]["card"]["id"]
    their_column = column_of(elsewhere)

    async def steps(socket):
        refusals = [
            await socket.run("card.add", column=their_column, text="Ailleurs"),
            await socket.run("card.edit", card=their_card, text="Modifiée"),
            await socket.run("card.delete", card=their_card),
            await socket.run("card.move", card=their_card, column=their_column),
        ]
        assert {r["code"] for r in refusals} == {"not_found"}

    joined(steps)
    assert list(Card.objects.values_list("text", "deleted")) == [("Sur un autre tableau", False)]


def test_refusals_of_the_session_state(column, board, guest, host_cookie):
    async def scenario():
        host, socket = Socket(board, cookie=host_cookie), Socket(board)
        await host.join()
        await socket.join(token=guest.token)
        card = {"column": column, "text": "Une fontaine"}
        assert (await socket.run("dot.add", card=1))["code"] == "wrong_step"
        assert (await host.run("session.lock"))["type"] == "ack"
        assert (await socket.run("card.add", **card))["code"] == "locked"
        assert (await host.run("session.unlock"))["type"] == "ack"
        assert (await host.run("timer.start", seconds=60, closes_input=True))["type"] == "ack"
        assert (await host.run("timer.end"))["type"] == "ack"
        refusal = await socket.run("card.add", **card)
        assert refusal["code"] == "time_up" and "temps" in refusal["message"].lower()
        await host.leave()
        await socket.leave()

    run(scenario)
    assert Card.objects.count() == 0


def test_the_dot_budget_is_enforced(board, guest, host_cookie):
    LiveSession.objects.filter(pk=board.session_id).update(dot_budget=1)
    card = add_card(guest, board)["result"]["card"]["id"]

    async def scenario():
        host, socket = Socket(board, cookie=host_cookie), Socket(board)
        await host.join()
        await socket.join(token=guest.token)
        assert (await host.run("session.step", step="vote"))["type"] == "ack"
        assert (await socket.run("dot.add", card=card))["result"]["dots_left"] == 0
        assert (await socket.run("dot.add", card=card))["code"] == "budget_spent"
        await host.leave()
        await socket.leave()

    run(scenario)


@pytest.fixture
def frozen_clock(monkeypatch):
    """Time stands still: the throttle refills nothing, whatever the machine's speed."""
    monkeypatch.setattr(BoardConsumer, "clock", staticmethod(lambda: 1000.0))


def test_a_flood_is_rate_limited_and_the_socket_survives(joined, frozen_clock):
    async def steps(socket):
        ids = [await socket.command("ping") for _ in range(consumers.BURST + 5)]
        answers = [await socket.receive() for _ in ids]
        assert [a["type"] for a in answers[: consumers.BURST]] == ["pong"] * consumers.BURST
        limited = answers[consumers.BURST :]
        assert {a["code"] for a in limited} == {"rate_limited"}
        assert [a["id"] for a in limited] == ids[consumers.BURST :]

    joined(steps)


def test_200_refusals_in_a_row_close_4429(joined, frozen_clock):
    async def steps(socket):
        for _ in range(consumers.BURST + consumers.REFUSALS_BEFORE_CLOSE):
            await socket.send({"type": "ping", "id": new_id()})
        assert await socket.closed_with() == 4429
        refused = [m for m in socket.seen if m["type"] == "error"]
        assert len(refused) == consumers.REFUSALS_BEFORE_CLOSE - 1

    joined(steps)


def test_a_channel_layer_out_of_reach_at_hello_closes_4503(board, guest, fresh_layer, monkeypatch):
    async def unreachable(group, channel):
        raise ConnectionError("Redis est injoignable")

    monkeypatch.setattr(fresh_layer, "group_add", unreachable)

    async def scenario():
        socket = Socket(board)
        assert await socket.connect()
        await socket.send({"type": "hello", "protocol": 1, "token": guest.token})
        assert await socket.closed_with() == 4503  # the client retries, then catches up

    run(scenario)
