"""The commands a live board accepts, one function each (docs/realtime-protocol.md).

`consultation.actions.boards.run_command` calls them inside a transaction, holding the row lock
of the board (card and cluster commands) or of every board of the session (session commands),
which is what makes sequence numbers gapless and the dot budget exact. Each returns the result
sent back in the `ack`; each records its events with `Emitter`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from django.db.models import Max
from django.utils import timezone

from consultation.actions._validation import require_choice, require_text
from consultation.errors import ActionRefused, PermissionRefused
from consultation.live import (
    PARTICIPANT,
    STAFF,
    audience_of,
    author_payload,
    card_payload,
    cluster_payload,
    dot_counts,
    me_payload,
    session_payload,
)
from consultation.models import Board, BoardEvent, Card, Cluster, Column, DotVote, LiveSession
from consultation.models import Participant as ParticipantModel
from consultation.models.boards import CARD_TEXT_MAX, WRITING_STEPS, CardColour, HideReason, Step


@dataclass
class Context:
    participant: ParticipantModel
    board: Board  # locked
    session: LiveSession  # locked boards, fresh row
    command_id: UUID
    now: object = field(default_factory=timezone.now)
    # (board, seq, staff message, participant message, extra) in emission order
    events: list = field(default_factory=list)
    boards: list = field(default_factory=list)  # every locked board, for session events

    @property
    def is_facilitator(self) -> bool:
        return self.participant.is_facilitator

    @property
    def is_staff(self) -> bool:
        return self.participant.is_staff_role

    def emit(self, board: Board, kind: str, staff: dict, participant: dict | None, **extra):
        """Number and record one event of `board`; `participant` None sends them a `skip`."""
        board.seq += 1
        staff_message = {"type": kind, "seq": board.seq, **staff}
        if participant is None:
            participant_message = {"type": "skip", "seq": board.seq}
        else:
            participant_message = {"type": participant.pop("type", kind), "seq": board.seq}
            participant_message.update(participant)
        BoardEvent.objects.create(
            board=board,
            seq=board.seq,
            kind=kind,
            staff=staff_message,
            participant=participant_message,
        )
        self.events.append((board, board.seq, staff_message, participant_message, extra))

    def emit_session(self, kind: str = "session.changed", **extra) -> None:
        for board in self.boards:
            self.emit(
                board,
                kind,
                {"session": session_payload(self.session, STAFF, self.now)},
                {"session": session_payload(self.session, PARTICIPANT, self.now)},
                **extra,
            )


# --- checks -------------------------------------------------------------------------------


def require_facilitator(ctx: Context) -> None:
    if not ctx.is_facilitator:
        raise PermissionRefused("Seul·e l'animateur·rice peut faire cela.", code="forbidden")


def require_staff(ctx: Context) -> None:
    if not ctx.is_staff:
        raise PermissionRefused(
            "Seule l'équipe d'animation ou de modération peut faire cela.", code="forbidden"
        )


def require_input_open(ctx: Context) -> None:
    """Participants write only while the board is unlocked and time is not up."""
    if ctx.is_staff:
        return
    if ctx.session.locked:
        raise ActionRefused("Le tableau est verrouillé par l'animateur·rice.", code="locked")
    if ctx.session.input_closed_by_timer(ctx.now):
        raise ActionRefused("Le temps est écoulé : la saisie est close.", code="time_up")


def get_card(ctx: Context, card_id) -> Card:
    card = (
        Card.objects.select_related("author", "board__session")
        .filter(pk=card_id, board=ctx.board, deleted=False)
        .first()
    )
    if card is None or (card.hidden and not ctx.is_staff):
        raise ActionRefused("Cette carte n'existe pas sur ce tableau.", code="not_found")
    return card


def get_column(ctx: Context, column_id) -> Column:
    column = Column.objects.filter(pk=column_id, board=ctx.board).first()
    if column is None:
        raise ActionRefused("Cette colonne n'existe pas sur ce tableau.", code="not_found")
    return column


def get_cluster(ctx: Context, cluster_id) -> Cluster:
    cluster = Cluster.objects.filter(pk=cluster_id, board=ctx.board).first()
    if cluster is None:
        raise ActionRefused("Ce regroupement n'existe pas sur ce tableau.", code="not_found")
    return cluster


def require_own_card(ctx: Context, card: Card) -> None:
    if card.author_id != ctx.participant.pk and not ctx.is_facilitator:
        raise PermissionRefused("Vous ne pouvez modifier que vos propres cartes.", code="forbidden")


def card_text(value) -> str:
    return require_text(
        value, field="text", label="Texte de la carte", min_length=1, max_length=CARD_TEXT_MAX
    )


def cluster_name(value) -> str:
    return require_text(
        value, field="name", label="Nom du regroupement", min_length=1, max_length=120
    )


# --- card events ----------------------------------------------------------------------------


def emit_card(
    ctx: Context, card: Card, kind: str, *, was_visible: bool = True, dots: int | None = None
) -> None:
    """A card appeared or changed: staff see it all; participants see it if visible. `dots`:
    the card's dot count when the caller knows it (a new card has none)."""
    if dots is None:
        dots = DotVote.objects.filter(card=card).count()
    anonymous = ctx.session.anonymous
    staff = {"card": card_payload(card, STAFF, dots=dots, anonymous=anonymous)}
    if card.hidden or card.deleted:
        participant = {"type": "card.removed", "card": card.pk} if was_visible else None
    else:
        payload = card_payload(card, PARTICIPANT, dots=dots, anonymous=anonymous)
        kind_for_them = kind if was_visible else "card.added"
        participant = {"type": kind_for_them, "card": payload}
    ctx.emit(ctx.board, kind, staff, participant)


def ack_card(ctx: Context, card: Card, dots: int | None = None) -> dict:
    if dots is None:
        dots = DotVote.objects.filter(card=card).count()
    audience = audience_of(ctx.participant)
    payload = card_payload(
        card, audience, dots=dots, anonymous=ctx.session.anonymous, viewer=ctx.participant
    )
    return {"card": payload}


# --- participant commands -------------------------------------------------------------------


def card_add(ctx: Context, *, column, text, colour=None) -> dict:
    require_input_open(ctx)
    if not ctx.is_staff and ctx.session.step not in WRITING_STEPS:
        raise ActionRefused("À cette étape, on n'ajoute plus de cartes.", code="wrong_step")
    column = get_column(ctx, column)
    text = card_text(text)
    colour = require_choice(
        colour or CardColour.YELLOW, CardColour, field="colour", label="Couleur"
    )
    last = Card.objects.filter(column=column).aggregate(m=Max("position"))["m"]
    card = Card.objects.create(
        board=ctx.board,
        column=column,
        author=ctx.participant,
        key=ctx.command_id,
        text=text,
        colour=colour,
        position=(last or 0) + 1,
        step=ctx.session.step,
    )
    emit_card(ctx, card, "card.added", dots=0)
    return ack_card(ctx, card, dots=0)


def card_edit(ctx: Context, *, card, text) -> dict:
    card = get_card(ctx, card)
    require_own_card(ctx, card)
    require_input_open(ctx)
    card.text = card_text(text)
    card.save(update_fields=["text", "updated_at"])
    emit_card(ctx, card, "card.changed", was_visible=not card.hidden)
    return ack_card(ctx, card)


def card_delete(ctx: Context, *, card) -> dict:
    card = get_card(ctx, card)
    require_own_card(ctx, card)
    require_input_open(ctx)
    was_visible = not card.hidden
    card.deleted = True
    card.save(update_fields=["deleted", "updated_at"])
    participant = {"card": card.pk} if was_visible else None
    ctx.emit(ctx.board, "card.removed", {"card": card.pk}, participant)
    return {"card": card.pk}


def card_move(ctx: Context, *, card, column, position=None, **maybe_cluster) -> dict:
    card = get_card(ctx, card)
    if not ctx.is_facilitator:
        require_own_card(ctx, card)
        require_input_open(ctx)
        if ctx.session.step != Step.DIVERGENCE:
            raise ActionRefused(
                "Seul·e l'animateur·rice déplace les cartes après l'étape d'expression.",
                code="wrong_step",
            )
    card.column = get_column(ctx, column)
    if position is not None:
        card.position = position
    if "cluster" in maybe_cluster:
        cluster_id = maybe_cluster["cluster"]
        card.cluster = get_cluster(ctx, cluster_id) if cluster_id is not None else None
    card.save(update_fields=["column", "position", "cluster", "updated_at"])
    emit_card(ctx, card, "card.changed", was_visible=not card.hidden)
    return ack_card(ctx, card)


def _require_vote_open(ctx: Context) -> None:
    if ctx.session.step != Step.VOTE:
        raise ActionRefused(
            "Le vote par gommettes n'est pas ouvert à cette étape.", code="wrong_step"
        )
    if ctx.session.locked and not ctx.is_facilitator:
        raise ActionRefused("Le tableau est verrouillé par l'animateur·rice.", code="locked")
    if ctx.session.input_closed_by_timer(ctx.now) and not ctx.is_facilitator:
        raise ActionRefused("Le temps est écoulé : le vote est clos.", code="time_up")


def _emit_dots(ctx: Context, card: Card) -> dict:
    total = DotVote.objects.filter(card=card).count()
    revealed = ctx.session.votes_revealed
    body = {"card": card.pk, "dots": total}
    ctx.emit(ctx.board, "dots.changed", body, dict(body) if revealed else None)
    me = me_payload(ctx.participant)
    return {
        "card": card.pk,
        "dots": total if revealed or ctx.is_staff else None,
        "my_dots": me["my_dots"].get(str(card.pk), 0),
        "dots_left": me["dots_left"],
    }


def dot_add(ctx: Context, *, card) -> dict:
    _require_vote_open(ctx)
    card = get_card(ctx, card)
    # The participant's row is locked by run_command: two phones of one person cannot both
    # spend the last dot.
    used = DotVote.objects.filter(participant=ctx.participant).count()
    if used >= ctx.session.dot_budget:
        raise ActionRefused(
            f"Vous avez déjà placé vos {ctx.session.dot_budget} gommettes.", code="budget_spent"
        )
    DotVote.objects.create(card=card, participant=ctx.participant)
    return _emit_dots(ctx, card)


def dot_remove(ctx: Context, *, card) -> dict:
    _require_vote_open(ctx)
    card = get_card(ctx, card)
    dot = DotVote.objects.filter(card=card, participant=ctx.participant).first()
    if dot is None:
        raise ActionRefused("Vous n'avez pas de gommette sur cette carte.", code="not_found")
    dot.delete()
    return _emit_dots(ctx, card)


# --- facilitator commands on cards and clusters ---------------------------------------------


def card_colour(ctx: Context, *, card, colour) -> dict:
    require_facilitator(ctx)
    card = get_card(ctx, card)
    card.colour = require_choice(colour, CardColour, field="colour", label="Couleur")
    card.save(update_fields=["colour", "updated_at"])
    emit_card(ctx, card, "card.changed", was_visible=not card.hidden)
    return ack_card(ctx, card)


def card_hide(ctx: Context, *, card, reason) -> dict:
    require_staff(ctx)
    card = get_card(ctx, card)
    reason = require_choice(reason, HideReason, field="reason", label="Motif")
    was_visible = not card.hidden
    card.hidden, card.hidden_reason = True, reason
    card.save(update_fields=["hidden", "hidden_reason", "updated_at"])
    emit_card(ctx, card, "card.changed", was_visible=was_visible)
    return ack_card(ctx, card)


def card_restore(ctx: Context, *, card) -> dict:
    require_staff(ctx)
    card = get_card(ctx, card)
    was_visible = not card.hidden
    card.hidden, card.hidden_reason = False, ""
    card.save(update_fields=["hidden", "hidden_reason", "updated_at"])
    emit_card(ctx, card, "card.changed", was_visible=was_visible)
    return ack_card(ctx, card)


def _cluster_cards(ctx: Context, card_ids) -> list[Card]:
    return [get_card(ctx, card_id) for card_id in dict.fromkeys(card_ids or [])]


def cluster_create(ctx: Context, *, name, cards=None, colour=None) -> dict:
    require_facilitator(ctx)
    name = cluster_name(name)
    colour = require_choice(colour or CardColour.BLUE, CardColour, field="colour", label="Couleur")
    members = _cluster_cards(ctx, cards)
    cluster = Cluster.objects.create(board=ctx.board, name=name, colour=colour)
    body = {"cluster": cluster_payload(cluster)}
    ctx.emit(ctx.board, "cluster.added", body, dict(body))
    for card in members:
        card.cluster = cluster
        card.save(update_fields=["cluster", "updated_at"])
        emit_card(ctx, card, "card.changed", was_visible=not card.hidden)
    return {"cluster": cluster_payload(cluster), "cards": [card.pk for card in members]}


def cluster_rename(ctx: Context, *, cluster, name) -> dict:
    require_facilitator(ctx)
    cluster = get_cluster(ctx, cluster)
    cluster.name = cluster_name(name)
    cluster.save(update_fields=["name"])
    body = {"cluster": cluster_payload(cluster)}
    ctx.emit(ctx.board, "cluster.changed", body, dict(body))
    return {"cluster": cluster_payload(cluster)}


def cluster_delete(ctx: Context, *, cluster) -> dict:
    require_facilitator(ctx)
    cluster = get_cluster(ctx, cluster)
    cluster_id = cluster.pk
    cluster.delete()  # cards stay, out of any cluster (SET_NULL)
    ctx.emit(ctx.board, "cluster.removed", {"cluster": cluster_id}, {"cluster": cluster_id})
    return {"cluster": cluster_id}


# --- session commands (every board of the session is locked) --------------------------------


def _save_session(ctx: Context, *fields: str) -> None:
    ctx.session.save(update_fields=list(fields))
    ctx.emit_session()


def card_spotlight(ctx: Context, *, card) -> dict:
    require_facilitator(ctx)
    ctx.session.spotlight = get_card(ctx, card) if card is not None else None
    _save_session(ctx, "spotlight")
    return {"card": ctx.session.spotlight_id}


def session_step(ctx: Context, *, step) -> dict:
    require_facilitator(ctx)
    ctx.session.step = require_choice(step, Step, field="step", label="Étape")
    _save_session(ctx, "step")
    return {"step": ctx.session.step}


def session_lock(ctx: Context) -> dict:
    require_facilitator(ctx)
    ctx.session.locked = True
    _save_session(ctx, "locked")
    return {"locked": True}


def session_unlock(ctx: Context) -> dict:
    require_facilitator(ctx)
    ctx.session.locked = False
    _save_session(ctx, "locked")
    return {"locked": False}


def session_anonymous(ctx: Context, *, anonymous) -> dict:
    require_facilitator(ctx)
    ctx.session.anonymous = bool(anonymous)
    ctx.session.save(update_fields=["anonymous"])
    for board in ctx.boards:
        staff = {"session": session_payload(ctx.session, STAFF, ctx.now)}
        participant = {"session": session_payload(ctx.session, PARTICIPANT, ctx.now)}
        if not ctx.session.anonymous:
            # Participants had no authors until now: give them the names of visible cards.
            cards = board.cards.filter(deleted=False, hidden=False).select_related("author")
            participant["authors"] = {str(c.pk): author_payload(c.author) for c in cards}
        ctx.emit(board, "session.changed", staff, participant)
    return {"anonymous": ctx.session.anonymous}


def _emit_votes(ctx: Context, kind: str) -> None:
    for board in ctx.boards:
        counts = {str(card): n for card, n in dot_counts(board).items()}
        if kind == "votes.revealed":
            visible = set(
                board.cards.filter(deleted=False, hidden=False).values_list("pk", flat=True)
            )
            shown = {card: n for card, n in counts.items() if int(card) in visible}
            ctx.emit(board, kind, {"dots": counts}, {"dots": shown})
        else:
            ctx.emit(board, kind, {}, {})


def votes_reveal(ctx: Context) -> dict:
    require_facilitator(ctx)
    ctx.session.votes_revealed = True
    ctx.session.save(update_fields=["votes_revealed"])
    _emit_votes(ctx, "votes.revealed")
    return {"votes_revealed": True}


def votes_hide(ctx: Context) -> dict:
    require_facilitator(ctx)
    ctx.session.votes_revealed = False
    ctx.session.save(update_fields=["votes_revealed"])
    _emit_votes(ctx, "votes.hidden")
    return {"votes_revealed": False}


def _seconds(value, *, low: int, high: int) -> timedelta:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ActionRefused(
            f"Durée : un nombre entier de secondes entre {low} et {high} est attendu.",
            code="invalid",
            field="seconds",
        )
    return timedelta(seconds=value)


TIMER_FIELDS = ("timer_ends_at", "timer_paused_remaining", "timer_closes_input")


def timer_start(ctx: Context, *, seconds, closes_input=False) -> dict:
    require_facilitator(ctx)
    ctx.session.timer_ends_at = ctx.now + _seconds(seconds, low=10, high=7200)
    ctx.session.timer_paused_remaining = None
    ctx.session.timer_closes_input = bool(closes_input)
    _save_session(ctx, *TIMER_FIELDS)
    return session_payload(ctx.session, STAFF, ctx.now)["timer"]


def timer_pause(ctx: Context) -> dict:
    require_facilitator(ctx)
    if ctx.session.timer_state(ctx.now) != "running":
        raise ActionRefused("Le minuteur ne tourne pas.", code="invalid")
    ctx.session.timer_paused_remaining = ctx.session.timer_ends_at - ctx.now
    ctx.session.timer_ends_at = None
    _save_session(ctx, *TIMER_FIELDS)
    return session_payload(ctx.session, STAFF, ctx.now)["timer"]


def timer_resume(ctx: Context) -> dict:
    require_facilitator(ctx)
    if ctx.session.timer_state(ctx.now) != "paused":
        raise ActionRefused("Le minuteur n'est pas en pause.", code="invalid")
    ctx.session.timer_ends_at = ctx.now + ctx.session.timer_paused_remaining
    ctx.session.timer_paused_remaining = None
    _save_session(ctx, *TIMER_FIELDS)
    return session_payload(ctx.session, STAFF, ctx.now)["timer"]


def timer_add(ctx: Context, *, seconds) -> dict:
    require_facilitator(ctx)
    delta = _seconds(seconds, low=-3600, high=3600)
    state = ctx.session.timer_state(ctx.now)
    if state == "running":
        ctx.session.timer_ends_at = max(ctx.session.timer_ends_at + delta, ctx.now)
    elif state == "paused":
        remaining = ctx.session.timer_paused_remaining + delta
        ctx.session.timer_paused_remaining = max(remaining, timedelta(0))
    else:
        raise ActionRefused("Aucun minuteur en cours.", code="invalid")
    _save_session(ctx, *TIMER_FIELDS)
    return session_payload(ctx.session, STAFF, ctx.now)["timer"]


def timer_end(ctx: Context) -> dict:
    require_facilitator(ctx)
    if ctx.session.timer_state(ctx.now) == "idle":
        raise ActionRefused("Aucun minuteur en cours.", code="invalid")
    ctx.session.timer_ends_at = ctx.now
    ctx.session.timer_paused_remaining = None
    _save_session(ctx, *TIMER_FIELDS)
    return session_payload(ctx.session, STAFF, ctx.now)["timer"]


def participant_remove(ctx: Context, *, participant) -> dict:
    require_facilitator(ctx)
    target = ParticipantModel.objects.filter(
        pk=participant, session=ctx.session, removed_at__isnull=True
    ).first()
    if target is None:
        raise ActionRefused("Cette personne ne participe pas à la session.", code="not_found")
    if target.pk == ctx.participant.pk:
        raise ActionRefused("Vous ne pouvez pas vous retirer vous-même.", code="invalid")
    target.removed_at = ctx.now
    target.save(update_fields=["removed_at"])
    for board in ctx.boards:
        ctx.emit(
            board,
            "participant.removed",
            {"participant": target.pk},
            None,
            close_participant=target.pk,
        )
    return {"participant": target.pk}


@dataclass(frozen=True)
class Command:
    run: Callable[..., dict]
    session_wide: bool = False


COMMANDS: dict[str, Command] = {
    "card.add": Command(card_add),
    "card.edit": Command(card_edit),
    "card.delete": Command(card_delete),
    "card.move": Command(card_move),
    "card.colour": Command(card_colour),
    "card.hide": Command(card_hide),
    "card.restore": Command(card_restore),
    "card.spotlight": Command(card_spotlight, session_wide=True),
    "cluster.create": Command(cluster_create),
    "cluster.rename": Command(cluster_rename),
    "cluster.delete": Command(cluster_delete),
    "dot.add": Command(dot_add),
    "dot.remove": Command(dot_remove),
    "session.step": Command(session_step, session_wide=True),
    "session.lock": Command(session_lock, session_wide=True),
    "session.unlock": Command(session_unlock, session_wide=True),
    "session.anonymous": Command(session_anonymous, session_wide=True),
    "votes.reveal": Command(votes_reveal, session_wide=True),
    "votes.hide": Command(votes_hide, session_wide=True),
    "timer.start": Command(timer_start, session_wide=True),
    "timer.pause": Command(timer_pause, session_wide=True),
    "timer.resume": Command(timer_resume, session_wide=True),
    "timer.add": Command(timer_add, session_wide=True),
    "timer.end": Command(timer_end, session_wide=True),
    "participant.remove": Command(participant_remove, session_wide=True),
}
