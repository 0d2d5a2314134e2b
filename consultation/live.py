"""What each person may see of a live board: the messages of docs/realtime-protocol.md.

Two audiences. Staff (facilitators, moderators) see everything: hidden cards, authors in
anonymous mode, dot counts before the reveal. Participants see visible cards only, no author in
anonymous mode, no count before the reveal. Every payload here is built for one audience, so
a hidden card cannot leak through a shared dict.
"""

from contextlib import contextmanager
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from consultation.models import Board, BoardEvent, Card, Cluster, DotVote, LiveSession, Participant
from consultation.models.boards import Step

PROTOCOL_VERSION = 1
STAFF = "staff"
PARTICIPANT = "participant"
# Further behind than this, a snapshot is smaller than the events it would replace.
MAX_CATCH_UP = 500
PRESENCE_WINDOW = timedelta(seconds=90)


def audience_of(participant: Participant) -> str:
    return STAFF if participant.is_staff_role else PARTICIPANT


def _iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def author_payload(participant: Participant) -> dict:
    return {"id": participant.pk, "name": participant.nickname}


def card_payload(
    card: Card, audience: str, *, dots: int, anonymous: bool, viewer: Participant | None = None
) -> dict:
    """One card as `audience` sees it. Call only with visible cards for participants."""
    staff = audience == STAFF
    payload = {
        "id": card.pk,
        "key": str(card.key),
        "column": card.column_id,
        "cluster": card.cluster_id,
        "text": card.text,
        "colour": card.colour,
        "position": card.position,
        "author": author_payload(card.author) if staff or not anonymous else None,
        "mine": viewer is not None and card.author_id == viewer.pk,
        "dots": dots if staff or card.board.session.votes_revealed else None,
        "promoted": card.promoted_to_id is not None,
        "created_at": _iso(card.created_at),
    }
    if staff:
        payload["hidden"] = card.hidden
        payload["hidden_reason"] = card.hidden_reason
    return payload


def cluster_payload(cluster: Cluster) -> dict:
    return {"id": cluster.pk, "name": cluster.name, "colour": cluster.colour}


def session_payload(session: LiveSession, audience: str, now=None) -> dict:
    now = now or timezone.now()
    remaining = session.timer_remaining(now)
    spotlight = session.spotlight
    if spotlight is not None and (spotlight.deleted or (spotlight.hidden and audience != STAFF)):
        spotlight = None
    return {
        "id": session.pk,
        "title": session.title,
        "status": session.status,
        "step": session.step,
        "steps": [{"id": value, "label": str(label)} for value, label in Step.choices],
        "locked": session.locked,
        "anonymous": session.anonymous,
        "dot_budget": session.dot_budget,
        "votes_revealed": session.votes_revealed,
        "spotlight": _spotlight_payload(spotlight, audience, session) if spotlight else None,
        "timer": {
            "state": session.timer_state(now),
            "ends_at": _iso(session.timer_ends_at),
            "remaining": int(remaining.total_seconds()) if remaining is not None else None,
            "closes_input": session.timer_closes_input,
        },
        "server_time": _iso(now),
    }


def _spotlight_payload(card: Card, audience: str, session: LiveSession) -> dict:
    payload = card_payload(card, audience, dots=card.dots.count(), anonymous=session.anonymous)
    payload["board"] = card.board_id
    return payload


def dot_counts(board: Board) -> dict[int, int]:
    rows = DotVote.objects.filter(card__board=board).values("card").annotate(n=Count("id"))
    return {row["card"]: row["n"] for row in rows}


def visible_cards(board: Board, audience: str):
    cards = board.cards.filter(deleted=False).select_related("author", "board__session")
    return cards if audience == STAFF else cards.filter(hidden=False)


def is_present(participant: Participant, now) -> bool:
    seen = participant.last_seen_at
    return seen is not None and seen > now - PRESENCE_WINDOW


def participant_payload(participant: Participant, now) -> dict:
    return {
        "id": participant.pk,
        "name": participant.nickname,
        "role": participant.role,
        "board": participant.board_id,
        "guest": participant.user_id is None,
        "present": is_present(participant, now),
    }


def me_payload(participant: Participant) -> dict:
    mine = DotVote.objects.filter(participant=participant).values("card").annotate(n=Count("id"))
    my_dots = {str(row["card"]): row["n"] for row in mine}
    used = sum(my_dots.values())
    return {
        "id": participant.pk,
        "name": participant.nickname,
        "role": participant.role,
        "board": participant.board_id,
        "dots_left": max(participant.session.dot_budget - used, 0),
        "my_dots": my_dots,
    }


@contextmanager
def _one_point_in_time():
    """Read the sequence number and the rows as of one moment.

    On PostgreSQL, READ COMMITTED would let a card committed between the two reads appear in
    the snapshot and then again as the next event; REPEATABLE READ makes every read of the
    snapshot see the same commit. (Inside a caller's transaction, its isolation applies.)"""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def board_snapshot(participant: Participant, board: Board) -> dict:
    """The whole board as this participant may see it, with the sequence number it is at."""
    with _one_point_in_time():
        return _snapshot(participant, board)


def _snapshot(participant: Participant, board: Board) -> dict:
    now = timezone.now()
    board = Board.objects.select_related("session__spotlight").get(pk=board.pk)
    session = board.session
    audience = audience_of(participant)
    counts = dot_counts(board)
    cards = [
        card_payload(
            card,
            audience,
            dots=counts.get(card.pk, 0),
            anonymous=session.anonymous,
            viewer=participant,
        )
        for card in visible_cards(board, audience)
    ]
    snapshot = {
        "type": "snapshot",
        "protocol": PROTOCOL_VERSION,
        "seq": board.seq,
        "session": session_payload(session, audience, now),
        "board": {"id": board.pk, "name": board.name},
        "boards": [{"id": b.pk, "name": b.name} for b in session.boards.all()],
        "columns": [{"id": c.pk, "title": c.title} for c in board.columns.all()],
        "clusters": [cluster_payload(c) for c in board.clusters.all()],
        "cards": cards,
        "me": me_payload(participant),
    }
    if audience == STAFF:
        snapshot["participants"] = [
            participant_payload(p, now)
            for p in session.participants.filter(removed_at__isnull=True)
        ]
    return snapshot


def board_events_since(participant: Participant, board: Board, last_seq: int) -> list[dict] | None:
    """The events this participant missed, in order; None when a snapshot is the better answer."""
    current = Board.objects.values_list("seq", flat=True).get(pk=board.pk)
    if last_seq < 0 or last_seq > current or current - last_seq > MAX_CATCH_UP:
        return None
    field = "staff" if audience_of(participant) == STAFF else "participant"
    events = BoardEvent.objects.filter(board=board, seq__gt=last_seq).order_by("seq")
    return list(events.values_list(field, flat=True))


def board_export_rows(board: Board) -> list[dict]:
    """Every card still on the board, for the CSV and printable exports (staff only)."""
    counts = dot_counts(board)
    cards = (
        board.cards.filter(deleted=False)
        .select_related("column", "cluster", "author", "promoted_to")
        .order_by("column__position", "cluster__name", "position", "id")
    )
    return [
        {
            "table": board.name,
            "column": card.column.title,
            "cluster": card.cluster.name if card.cluster else "",
            "text": card.text,
            "author": card.author.nickname,
            "dots": counts.get(card.pk, 0),
            "step": card.get_step_display(),
            "hidden": card.hidden,
            "hidden_reason": card.get_hidden_reason_display() if card.hidden else "",
            "promoted_to": card.promoted_to_id,
            "created_at": card.created_at,
        }
        for card in cards
    ]
