"""What each role may do and see over the board socket: guest, resident, facilitator,
moderator, outsider. Hidden cards, anonymous authors and unrevealed dot counts never reach a
participant's socket, live or in a snapshot."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser

from consultation.actions.boards import join_session, resolve_participant, run_command
from consultation.models import Card, Participant
from tests.realtime.sockets import Socket, guest_cookie, login_cookie, new_id, run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_layer")]

SECRET = "Numéro de téléphone du voisin : 06 12 34 56 78"


@pytest.fixture
def column(board) -> int:
    return board.columns.order_by("position").first().pk


@pytest.fixture
def cookies(live_session, facilitator, moderator, resident):
    join_session(resident, live_session.join_code)
    return {
        "facilitator": login_cookie(facilitator),
        "moderator": login_cookie(moderator),
        "resident": login_cookie(resident),
    }


def add_card(participant, board, column, text):
    command = {"type": "card.add", "id": new_id(), "column": column, "text": text}
    return run_command(participant, board, command)["result"]["card"]["id"]


def said(socket: Socket, text: str) -> bool:
    return any(text in json.dumps(message, ensure_ascii=False) for message in socket.seen)


# Facilitator-only commands, each valid, with the role expected to be refused.
FACILITATOR_ONLY = [
    ("session.lock", {}),
    ("session.step", {"step": "vote"}),
    ("votes.reveal", {}),
    ("timer.start", {"seconds": 60}),
    ("session.anonymous", {"anonymous": True}),
    ("cluster.create", {"name": "Mobilités"}),
]


@pytest.mark.parametrize("role", ["guest", "resident", "moderator"])
@pytest.mark.parametrize(("kind", "fields"), FACILITATOR_ONLY)
def test_only_the_facilitator_runs_the_session(board, guest, cookies, role, kind, fields):
    async def scenario():
        socket = Socket(board, cookie=cookies.get(role))
        await socket.join(token=guest.token if role == "guest" else None)
        refusal = await socket.run(kind, **fields)
        assert (refusal["type"], refusal["code"]) == ("error", "forbidden")
        assert refusal["message"]
        await socket.leave()
        host = Socket(board, cookie=cookies["facilitator"])
        await host.join()
        assert (await host.run(kind, **fields))["type"] == "ack"
        await host.leave()

    run(scenario)


@pytest.mark.parametrize("role", ["guest", "resident", "facilitator", "moderator"])
def test_every_member_adds_cards(board, guest, cookies, column, role):
    async def scenario():
        socket = Socket(board, cookie=cookies.get(role))
        snapshot, _ready = await socket.join(token=guest.token if role == "guest" else None)
        expected = "participant" if role in ("guest", "resident") else role
        assert snapshot["me"]["role"] == expected
        ack = await socket.run("card.add", column=column, text=f"Carte de {role}")
        assert ack["type"] == "ack" and ack["result"]["card"]["mine"] is True
        await socket.leave()

    run(scenario)


def test_an_outsider_with_an_account_is_not_let_in(board, other_resident):
    cookie = login_cookie(other_resident)

    async def scenario():
        socket = Socket(board, cookie=cookie)
        assert await socket.connect()
        await socket.send({"type": "hello", "protocol": 1})
        assert await socket.closed_with() == 4401

    run(scenario)


def test_a_participant_changes_only_their_own_cards(board, guest, cookies, column):
    theirs = add_card(guest, board, column, "La carte de Camille")

    async def scenario():
        resident = Socket(board, cookie=cookies["resident"])
        await resident.join()
        for kind, fields in [
            ("card.edit", {"text": "Réécrite"}),
            ("card.delete", {}),
            ("card.hide", {"reason": "spam"}),
            ("card.colour", {"colour": "pink"}),
        ]:
            refusal = await resident.run(kind, card=theirs, **fields)
            assert refusal["code"] == "forbidden", kind
        await resident.leave()

    run(scenario)
    assert Card.objects.get(pk=theirs).text == "La carte de Camille"


def test_a_hidden_card_never_reaches_participants(board, guest, cookies, column):
    secret = add_card(guest, board, column, SECRET)

    async def scenario():
        moderator = Socket(board, cookie=cookies["moderator"])
        resident = Socket(board, cookie=cookies["resident"])
        await moderator.join()
        await resident.join()
        resident.seen.clear()
        hidden = await moderator.run("card.hide", card=secret, reason="personal_data")
        assert hidden["type"] == "ack"
        # Staff keep seeing it, marked hidden; the participant is told it is gone.
        changed = await moderator.first("card.changed", seq=2)
        assert changed["card"]["hidden"] is True and changed["card"]["text"] == SECRET
        assert await resident.first("card.removed") == {
            "type": "card.removed",
            "seq": 2,
            "card": secret,
        }
        # Later changes to the hidden card reach participants as a bare `skip`.
        host = Socket(board, cookie=cookies["facilitator"])
        await host.join()
        await host.run("card.colour", card=secret, colour="pink")
        assert await resident.first("skip", seq=3) == {"type": "skip", "seq": 3}
        # A new participant's snapshot leaves it out; the staff snapshot keeps it.
        late = Socket(board, cookie=cookies["resident"])
        snapshot, _ = await late.join()
        assert snapshot["cards"] == []
        assert [c["id"] for c in (await moderator_snapshot(board, cookies))["cards"]] == [secret]
        assert not said(resident, SECRET) and not said(late, SECRET)
        # A participant cannot reach it by id either.
        assert (await late.run("card.edit", card=secret, text="?"))["code"] == "not_found"
        for socket in (moderator, resident, host, late):
            await socket.leave()

    run(scenario)


async def moderator_snapshot(board, cookies) -> dict:
    socket = Socket(board, cookie=cookies["moderator"])
    snapshot, _ready = await socket.join()
    await socket.leave()
    return snapshot


def test_anonymous_mode_hides_authors_from_participants_only(board, guest, cookies, column):
    async def scenario():
        host = Socket(board, cookie=cookies["facilitator"])
        resident = Socket(board, cookie=cookies["resident"])
        author = Socket(board)
        await host.join()
        await resident.join()
        await author.join(token=guest.token)
        resident.seen.clear()  # the resident is a Camille too: keep only what follows
        assert (await host.run("session.anonymous", anonymous=True))["type"] == "ack"
        ack = await author.run("card.add", column=column, text="Sans nom")
        seq = ack["seq"]
        assert (await resident.first("card.added", seq=seq))["card"]["author"] is None
        assert (await host.first("card.added", seq=seq))["card"]["author"] == {
            "id": guest.pk,
            "name": "Camille",
        }
        assert not said(resident, "Camille")
        late = Socket(board, cookie=cookies["resident"])
        snapshot, _ = await late.join()
        assert [card["author"] for card in snapshot["cards"]] == [None]
        for socket in (host, resident, author, late):
            await socket.leave()

    run(scenario)


def test_dot_counts_stay_hidden_from_participants_until_revealed(board, guest, cookies, column):
    card = add_card(guest, board, column, "Un marché le samedi")

    async def scenario():
        host = Socket(board, cookie=cookies["facilitator"])
        resident = Socket(board, cookie=cookies["resident"])
        voter = Socket(board)
        await host.join()
        await resident.join()
        await voter.join(token=guest.token)
        await host.run("session.step", step="vote")
        ack = await voter.run("dot.add", card=card)
        assert ack["result"] == {"card": card, "dots": None, "my_dots": 1, "dots_left": 4}
        seq = ack["seq"]
        assert await resident.first("skip", seq=seq) == {"type": "skip", "seq": seq}
        assert (await host.first("dots.changed", seq=seq))["dots"] == 1
        late = Socket(board, cookie=cookies["resident"])
        snapshot, _ = await late.join()
        assert snapshot["cards"][0]["dots"] is None
        revealed = await host.run("votes.reveal")
        shown = await resident.first("votes.revealed", seq=revealed["seq"])
        assert shown["dots"] == {str(card): 1}
        again = await voter.run("dot.add", card=card)
        assert (await resident.first("dots.changed", seq=again["seq"]))["dots"] == 2
        for socket in (host, resident, voter, late):
            await socket.leave()

    run(scenario)


def test_a_removed_participant_is_disconnected_and_kept_out(board, guest, cookies):
    cookie = guest_cookie(guest)

    async def scenario():
        host = Socket(board, cookie=cookies["facilitator"])
        removed = Socket(board, cookie=cookie)
        await host.join()
        await removed.join()
        assert (await host.run("participant.remove", participant=guest.pk))["type"] == "ack"
        assert await removed.closed_with() == 4403
        assert {"type": "skip", "seq": 1} in removed.seen
        assert (await host.first("participant.removed"))["participant"] == guest.pk
        back = Socket(board, cookie=cookie)
        assert await back.connect()
        await back.send({"type": "hello", "protocol": 1, "token": guest.token})
        assert await back.closed_with() == 4403
        await host.leave()

    run(scenario)
    assert Participant.objects.get(pk=guest.pk).removed_at is not None


def test_a_removed_account_holder_is_kept_out(board, cookies, resident, facilitator):
    participant = Participant.objects.get(user=resident)
    command = {"type": "participant.remove", "id": new_id(), "participant": participant.pk}
    run_command(resolve_participant(board.session, user=facilitator), board, command)

    async def scenario():
        socket = Socket(board, cookie=cookies["resident"])
        assert await socket.connect()
        await socket.send({"type": "hello", "protocol": 1})
        assert await socket.closed_with() == 4403

    run(scenario)


def test_guests_of_the_same_session_do_not_share_an_identity(board, guest, live_session):
    other, token = join_session(AnonymousUser(), live_session.join_code, nickname="Lou")

    async def scenario():
        socket = Socket(board)
        snapshot, _ = await socket.join(token=token)
        assert snapshot["me"]["id"] == other.pk != guest.pk
        await socket.leave()

    run(scenario)
