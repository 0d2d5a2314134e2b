"""Live workshop sessions: open, join, run commands, promote cards to contributions.

Board commands (cards, clusters, dots, timer...) are in `board_commands`; `run_command` is the
one entry point that makes them idempotent, ordered and published after commit.
"""

import hashlib
import inspect
import secrets
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from consultation.actions._validation import require_choice, require_text
from consultation.actions.board_commands import COMMANDS, Context, emit_card
from consultation.errors import ActionRefused, PermissionRefused
from consultation.live import STAFF, participant_payload
from consultation.models import (
    Board,
    Card,
    Cluster,
    Column,
    CommandReceipt,
    Commune,
    Contribution,
    LiveSession,
    Participant,
    Theme,
    User,
    Workshop,
)
from consultation.models.boards import (
    JOIN_CODE_ALPHABET,
    TEMPLATE_COLUMNS,
    BoardTemplate,
    new_join_code,
)
from consultation.models.contributions import TITLE_MAX_LENGTH, Provenance, Visibility
from consultation.rules import check_permission, is_facilitator, is_moderator
from realtime.groups import board_group
from realtime.publish import publish_on_commit

MAX_TABLES = 20
MAX_FREE_COLUMNS = 8
MAX_PAPER_NOTES = 200


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- opening and closing --------------------------------------------------------------------


def _columns_for(template: str, columns: list[str] | None) -> list[str]:
    if template != BoardTemplate.FREE:
        return [str(title) for title in TEMPLATE_COLUMNS[template]]
    titles = [
        require_text(t, field="columns", label="Titre de colonne", min_length=1, max_length=120)
        for t in (columns or [])
        if isinstance(t, str) and t.strip()
    ]
    if not 1 <= len(titles) <= MAX_FREE_COLUMNS:
        raise ActionRefused(
            f"Colonnes libres : donnez entre 1 et {MAX_FREE_COLUMNS} titres de colonnes.",
            code="invalid",
            field="columns",
        )
    return titles


def _check_range(value, *, low: int, high: int, field: str, label: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ActionRefused(
            f"{label} : un nombre entre {low} et {high} est attendu.", code="invalid", field=field
        )
    return value


def open_session(
    user: User,
    workshop: Workshop,
    *,
    title: str = "",
    template: str = BoardTemplate.FINDINGS_IDEAS_ACTIONS,
    tables: int = 1,
    columns: list[str] | None = None,
    dot_budget: int = 5,
    anonymous: bool = False,
    guests_allowed: bool = True,
) -> LiveSession:
    """Open a live session with one board per table, each with the template's columns."""
    check_permission(user, "run_live_session", workshop)
    template = require_choice(template, BoardTemplate, field="template", label="Modèle")
    titles = _columns_for(template, columns)
    tables = _check_range(tables, low=1, high=MAX_TABLES, field="tables", label="Tables")
    dot_budget = _check_range(
        dot_budget, low=1, high=50, field="dot_budget", label="Gommettes par personne"
    )
    title = (title or "").strip() or f"Atelier en direct : {workshop.title}"
    title = require_text(title, field="title", label="Titre", min_length=3, max_length=200)
    with transaction.atomic():
        session = _create_with_unique_code(
            workshop=workshop,
            title=title,
            template=template,
            dot_budget=dot_budget,
            anonymous=bool(anonymous),
            guests_allowed=bool(guests_allowed),
            created_by=user,
        )
        for index in range(tables):
            name = "Plénière" if tables == 1 else f"Table {index + 1}"
            board = Board.objects.create(session=session, name=name, position=index)
            Column.objects.bulk_create(
                Column(board=board, title=t, position=i) for i, t in enumerate(titles)
            )
    return session


def _create_with_unique_code(**fields) -> LiveSession:
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return LiveSession.objects.create(join_code=new_join_code(), **fields)
        except IntegrityError:
            continue  # another open session drew the same code: draw again
    raise ActionRefused("Impossible de créer un code unique ; réessayez.", code="retry")


def close_session(user: User, session: LiveSession) -> None:
    """End the session: every command is refused from now on; the board stays readable."""
    check_permission(user, "run_live_session", session)
    with transaction.atomic():
        boards = list(Board.objects.select_for_update().filter(session=session).order_by("pk"))
        session = LiveSession.objects.get(pk=session.pk)
        if session.status == LiveSession.Status.CLOSED:
            return
        session.status = LiveSession.Status.CLOSED
        session.closed_at = timezone.now()
        session.locked = True
        session.save(update_fields=["status", "closed_at", "locked"])
        participant = session.participants.filter(role=Participant.Role.FACILITATOR).first()
        ctx = Context(
            participant=participant or Participant(session=session, role="facilitator"),
            board=boards[0],
            session=session,
            command_id=UUID(int=0),
            boards=boards,
        )
        ctx.emit_session()
        _save_seqs_and_publish(ctx)


# --- joining --------------------------------------------------------------------------------


def normalise_code(code) -> str:
    if not isinstance(code, str):
        return ""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _role_for(user, session: LiveSession) -> str:
    if is_facilitator.test(user, session):
        return Participant.Role.FACILITATOR
    if is_moderator.test(user, session):
        return Participant.Role.MODERATOR
    return Participant.Role.PARTICIPANT


def _least_busy_board(session: LiveSession) -> Board:
    boards = session.boards.annotate(
        people=Count("participants", filter=Q(participants__removed_at__isnull=True))
    )
    return boards.order_by("people", "position", "pk").first()


def _session_for_code(code) -> LiveSession:
    code = normalise_code(code)
    if len(code) < 4 or any(ch not in JOIN_CODE_ALPHABET for ch in code):
        raise ActionRefused(
            "Ce code n'est pas valide : il compte 6 lettres ou chiffres, affichés à l'écran.",
            code="wrong_code",
            field="code",
        )
    session = (
        LiveSession.objects.select_related("workshop__campaign").filter(join_code=code).first()
    )
    if session is None:
        raise ActionRefused(
            "Aucune session ne correspond à ce code. Vérifiez-le à l'écran de la salle.",
            code="wrong_code",
            field="code",
        )
    if session.status != LiveSession.Status.OPEN:
        raise ActionRefused("Cette session est terminée.", code="closed", field="code")
    return session


def _clean_email(email) -> str:
    email = (email or "").strip() if isinstance(email, str) else ""
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ActionRefused(
                "Saisissez une adresse électronique valide, ou laissez le champ vide.",
                code="invalid",
                field="email",
            ) from None
    return email


def join_session(
    user,
    code: str,
    *,
    nickname: str = "",
    email: str = "",
    board: Board | None = None,
    kept_guests: dict | None = None,
) -> tuple[Participant, str | None]:
    """Join with the code shown in the room. Guests get a token (returned once, stored hashed).

    `kept_guests`: the guests this browser already is, by session id (kept in its Django
    session by earlier joins). Joining the same session again returns that same participant,
    with their cards and the dots they have left, rather than a new one with a fresh budget; a
    guest the facilitator removed stays out, as an account does."""
    session = _session_for_code(code)
    email = _clean_email(email)
    if board is not None and board.session_id != session.pk:
        raise ActionRefused("Cette table n'existe pas dans la session.", code="not_found")
    if user.is_authenticated:
        return _join_with_account(user, session, email=email, board=board), None
    kept_id = (kept_guests or {}).get(str(session.pk))
    kept = (
        Participant.objects.filter(pk=kept_id, session=session, user__isnull=True).first()
        if isinstance(kept_id, int)
        else None
    )
    if kept is not None:
        if kept.removed_at is not None:
            raise PermissionRefused(
                "L'animateur·rice vous a retiré·e de cette session.", code="removed"
            )
        return kept, None
    if not session.guests_allowed:
        raise PermissionRefused(
            "Cette session est réservée aux personnes connectées : connectez-vous pour la "
            "rejoindre.",
            code="guests_refused",
            needs_login=True,
        )
    nickname = require_text(
        nickname, field="nickname", label="Pseudonyme", min_length=2, max_length=40
    )
    token = secrets.token_urlsafe(24)
    participant = Participant.objects.create(
        session=session,
        board=board or _least_busy_board(session),
        nickname=nickname,
        email=email,
        guest_token_hash=_hash_token(token),
    )
    return participant, token


def _join_with_account(user, session: LiveSession, *, email: str, board) -> Participant:
    existing = Participant.objects.filter(session=session, user=user).first()
    if existing is not None:
        if existing.removed_at is not None:
            raise PermissionRefused(
                "L'animateur·rice vous a retiré·e de cette session.", code="removed"
            )
        return existing
    try:
        with transaction.atomic():
            return Participant.objects.create(
                session=session,
                user=user,
                board=board or _least_busy_board(session),
                nickname=(user.display_name or user.public_name)[:40],
                role=_role_for(user, session),
                email=email,
            )
    except IntegrityError:  # the same person joined twice at once (two tabs)
        return Participant.objects.get(session=session, user=user)


def resolve_participant(
    session: LiveSession, *, user, participant_id=None, token=None
) -> Participant | None:
    """Who this connection is, or None. Staff need no join: they get a participant on demand."""
    found = None
    if user is not None and user.is_authenticated:
        found = Participant.objects.filter(session=session, user=user).first()
        role = _role_for(user, session)
        if found is None and role != Participant.Role.PARTICIPANT:
            found = _join_with_account(user, session, email="", board=None)
        elif found is not None and found.role != role:
            found.role = role  # a role granted or withdrawn since the last connection
            found.save(update_fields=["role"])
    if found is None and participant_id is not None:
        found = Participant.objects.filter(
            pk=participant_id, session=session, user__isnull=True
        ).first()
    if found is None and isinstance(token, str) and token:
        found = Participant.objects.filter(
            session=session, guest_token_hash=_hash_token(token)
        ).first()
    if found is None or found.removed_at is not None:
        return None
    return found


class Admission(str):
    """Why a connection may not see a board (the websocket maps each to a close code)."""


NO_SUCH_BOARD = Admission("not_found")
SESSION_CLOSED = Admission("closed")
REMOVED = Admission("removed")
UNKNOWN = Admission("unknown")
OTHER_TABLE = Admission("other_table")


def admit(
    session_id: int, board_id: int, *, user, participant_id=None, token=None
) -> tuple[Participant, Board] | Admission:
    """Who is connecting to this board, and may they see it? Or why not."""
    board = (
        Board.objects.select_related("session__workshop__campaign")
        .filter(pk=board_id, session_id=session_id)
        .first()
    )
    if board is None:
        return NO_SUCH_BOARD
    session = board.session
    if session.status != LiveSession.Status.OPEN:
        return SESSION_CLOSED
    participant = resolve_participant(
        session, user=user, participant_id=participant_id, token=token
    )
    if participant is None:
        return REMOVED if _was_removed(session, user, participant_id, token) else UNKNOWN
    if participant.board_id != board.pk and not participant.is_staff_role:
        return OTHER_TABLE
    return participant, board


def _was_removed(session: LiveSession, user, participant_id, token) -> bool:
    removed = Participant.objects.filter(session=session, removed_at__isnull=False)
    if user is not None and user.is_authenticated:
        return removed.filter(user=user).exists()
    who = Q(pk=participant_id, user__isnull=True) if participant_id is not None else Q(pk=None)
    if isinstance(token, str) and token:
        who |= Q(guest_token_hash=_hash_token(token))
    return removed.filter(who).exists()


def record_presence(participant: Participant, connected: bool) -> None:
    """Mark someone present or gone; staff screens see it (no sequence number: not replayed)."""
    now = timezone.now()
    Participant.objects.filter(pk=participant.pk).update(last_seen_at=now if connected else None)
    participant.last_seen_at = now if connected else None
    message = {"type": "presence", "participant": participant_payload(participant, now)}
    for board_id in Board.objects.filter(session_id=participant.session_id).values_list(
        "pk", flat=True
    ):
        publish_on_commit(board_group(board_id), {"seq": None, "audiences": {STAFF: message}})


# --- commands -------------------------------------------------------------------------------


def _command_id(value) -> UUID:
    try:
        return UUID(str(value))
    except (TypeError, ValueError):
        raise ActionRefused(
            "Identifiant de commande : un UUID est attendu.", code="invalid", field="id"
        ) from None


def run_command(participant: Participant, board: Board, command: dict) -> dict:
    """Apply one board command once, and publish its events after commit.

    Returns {"seq": last event number or None, "result": ...}. A command id already applied
    for this participant returns the first answer and changes nothing.
    """
    kind = command.get("type")
    if kind not in COMMANDS:
        raise ActionRefused(f"Type de commande inconnu : « {kind} ».", code="unknown_type")
    command_id = _command_id(command.get("id"))
    fields = {k: v for k, v in command.items() if k not in ("type", "id")}
    with transaction.atomic():
        ctx = _lock(participant, board, command_id, COMMANDS[kind].session_wide)
        receipt = CommandReceipt.objects.filter(
            participant=ctx.participant, command_id=command_id
        ).first()
        if receipt is not None:
            return {"seq": receipt.seq, "result": receipt.result}
        _check_may_act(ctx)
        run = COMMANDS[kind].run
        try:
            inspect.signature(run).bind(ctx, **fields)
        except TypeError:
            raise ActionRefused(
                f"Champs manquants ou inconnus pour « {kind} ».", code="invalid"
            ) from None
        result = run(ctx, **fields)
        seq = _save_seqs_and_publish(ctx)
        CommandReceipt.objects.create(
            participant=ctx.participant, command_id=command_id, seq=seq, result=result
        )
    return {"seq": seq, "result": result}


def _lock(participant, board, command_id, session_wide: bool) -> Context:
    """Lock the board (or every board of the session, in id order: no deadlock), then re-read
    the participant and the session, so a removal or a lock decided a moment ago applies."""
    if session_wide:
        boards = list(
            Board.objects.select_for_update().filter(session_id=board.session_id).order_by("pk")
        )
        locked = next((b for b in boards if b.pk == board.pk), None)
    else:
        locked = Board.objects.select_for_update().filter(pk=board.pk).first()
        boards = [locked] if locked else []
    if locked is None:
        raise ActionRefused("Ce tableau n'existe plus.", code="not_found")
    fresh = Participant.objects.select_for_update().get(pk=participant.pk)
    session = LiveSession.objects.select_related("workshop__campaign", "spotlight").get(
        pk=locked.session_id
    )
    for each in boards:
        each.session = session  # what payloads read (card.board.session), without a query each
    return Context(
        participant=fresh,
        board=locked,
        session=session,
        command_id=command_id,
        boards=boards,
    )


def _check_may_act(ctx: Context) -> None:
    participant, session = ctx.participant, ctx.session
    if participant.session_id != session.pk or participant.removed_at is not None:
        raise PermissionRefused("Vous ne participez plus à cette session.", code="forbidden")
    if participant.board_id != ctx.board.pk and not participant.is_staff_role:
        raise PermissionRefused("Ce tableau n'est pas celui de votre table.", code="forbidden")
    if session.status != LiveSession.Status.OPEN:
        raise PermissionRefused("Cette session est terminée.", code="forbidden")


def _save_seqs_and_publish(ctx: Context) -> int | None:
    touched = {board.pk: board for board, *_ in ctx.events}
    for board in touched.values():
        Board.objects.filter(pk=board.pk).update(seq=board.seq)
    for board, seq, staff, participant, extra in ctx.events:
        publish_on_commit(
            board_group(board.pk),
            {
                "seq": seq,
                "audiences": {"staff": staff, "participant": participant},
                "close_participant": extra.get("close_participant"),
            },
        )
    own = [seq for board, seq, *_ in ctx.events if board.pk == ctx.board.pk]
    return own[-1] if own else None


# --- from the board to the campaign ---------------------------------------------------------


def _origin(card: Card, session: LiveSession, dots: int) -> dict:
    return {
        "session": session.pk,
        "session_title": session.title,
        "table": card.board.name,
        "step": card.get_step_display(),
        "column": card.column.title,
        "dots": dots,
    }


def _kind_for(cards: list[Card], session: LiveSession) -> str:
    """Findings are testimonies; ideas and actions are proposals."""
    findings = session.template == BoardTemplate.FINDINGS_IDEAS_ACTIONS and all(
        card.column.position == 0 for card in cards
    )
    return Contribution.Kind.TESTIMONY if findings else Contribution.Kind.PROPOSAL


def _title_from(text: str) -> str:
    first_line = text.strip().splitlines()[0]
    if len(first_line) <= 90:
        return first_line
    return first_line[:89].rsplit(" ", 1)[0] + "…"


def promote_cards(
    user: User,
    session: LiveSession,
    *,
    cards=(),
    clusters=(),
    theme: Theme | None = None,
) -> list[Contribution]:
    """Make contributions of chosen cards and clusters, keeping where each came from.

    A cluster becomes one contribution listing its cards; a card becomes one contribution.
    Hidden, deleted and already promoted cards are left out; promoting twice does nothing.
    """
    check_permission(user, "run_live_session", session)
    campaign = session.campaign
    if theme is not None and theme.campaign_id != campaign.pk:
        raise ActionRefused("Ce thème n'appartient pas à cette campagne.", code="foreign_theme")
    card_ids, cluster_ids = set(cards), set(clusters)
    created = []
    with transaction.atomic():
        boards = list(Board.objects.select_for_update().filter(session=session).order_by("pk"))
        live = Card.objects.filter(
            board__session=session, deleted=False, hidden=False, promoted_to__isnull=True
        ).select_related("board", "column", "author")
        counts = dict(live.annotate(n=Count("dots")).values_list("pk", "n"))
        for cluster in Cluster.objects.filter(board__session=session, pk__in=cluster_ids):
            members = [c for c in live if c.cluster_id == cluster.pk]
            if members:
                created.append(_promote(session, members, counts, cluster=cluster, theme=theme))
        for card in live:
            if card.pk in card_ids and card.promoted_to_id is None:
                created.append(_promote(session, [card], counts, theme=theme))
        if not created:
            raise ActionRefused(
                "Aucune carte à verser : choisissez des cartes ou des regroupements visibles, "
                "pas encore versés.",
                code="nothing_to_promote",
            )
        _publish_promotions(user, session, boards, created)
    return created


def _promote(session, cards: list[Card], counts, *, cluster=None, theme=None) -> Contribution:
    campaign = session.campaign
    dots = sum(counts.get(card.pk, 0) for card in cards)
    if cluster is not None:
        title = cluster.name
        body = "\n".join(f"- {card.text}" for card in cards)
        ref = f"live:{session.pk}:cluster:{cluster.pk}"
    else:
        title, body = _title_from(cards[0].text), cards[0].text
        ref = f"live:{session.pk}:card:{cards[0].pk}"
    origin = _origin(cards[0], session, dots)
    if cluster is not None:
        origin.update(cluster=cluster.name, cards=len(cards))
    pre = campaign.moderation_mode == campaign.ModerationMode.PRE
    contribution = Contribution.objects.create(
        campaign=campaign,
        kind=_kind_for(cards, session),
        title=title[:TITLE_MAX_LENGTH],
        body=body,
        theme=theme,
        commune=session.workshop.commune,
        author_label=f"Atelier « {session.workshop.title} », {cards[0].board.name}"[:120],
        provenance=Provenance.WORKSHOP,
        workshop=session.workshop,
        visibility=Visibility.PENDING if pre else Visibility.PUBLISHED,
        external_ref=ref,
        origin=origin,
        # Named on the board, named in the campaign; an anonymous session stays anonymous.
        author=cards[0].author.user if len(cards) == 1 and not session.anonymous else None,
    )
    for card in cards:
        card.promoted_to = contribution
        card.save(update_fields=["promoted_to", "updated_at"])
    return contribution


def _publish_promotions(user, session, boards, created) -> None:
    """Boards show a "versée" mark on promoted cards."""
    actor = session.participants.filter(user=user).first() or Participant(
        session=session, role=Participant.Role.FACILITATOR
    )
    for board in boards:
        ctx = Context(
            participant=actor, board=board, session=session, command_id=UUID(int=0), boards=boards
        )
        for card in board.cards.filter(promoted_to__in=created).select_related(
            "author", "board__session"
        ):
            emit_card(ctx, card, "card.changed")
        _save_seqs_and_publish(ctx)


def add_paper_notes(
    user: User,
    workshop: Workshop,
    *,
    notes: list[str],
    kind: str = Contribution.Kind.PROPOSAL,
    theme: Theme | None = None,
    commune: Commune | None = None,
) -> list[Contribution]:
    """Type in the paper notes of a workshop: one contribution per note, marked as paper."""
    check_permission(user, "run_live_session", workshop)
    campaign = workshop.campaign
    kind = require_choice(kind, Contribution.Kind, field="kind", label="Type")
    if theme is not None and theme.campaign_id != campaign.pk:
        raise ActionRefused("Ce thème n'appartient pas à cette campagne.", code="foreign_theme")
    texts = [n for n in (notes or []) if isinstance(n, str) and n.strip()]
    if not texts:
        raise ActionRefused("Saisissez au moins une note.", code="required", field="notes")
    if len(texts) > MAX_PAPER_NOTES:
        raise ActionRefused(
            f"{MAX_PAPER_NOTES} notes au plus par envoi ({len(texts)} reçues).",
            code="too_many",
            field="notes",
        )
    cleaned = [
        require_text(text, field="notes", label=f"Note {i}", min_length=3, max_length=2000)
        for i, text in enumerate(texts, start=1)
    ]
    pre = campaign.moderation_mode == campaign.ModerationMode.PRE
    with transaction.atomic():
        return [
            Contribution.objects.create(
                campaign=campaign,
                kind=kind,
                title=_title_from(text)[:TITLE_MAX_LENGTH],
                body=text,
                theme=theme,
                commune=commune or workshop.commune,
                author_label=f"Note papier, atelier « {workshop.title} »"[:120],
                provenance=Provenance.PAPER,
                workshop=workshop,
                visibility=Visibility.PENDING if pre else Visibility.PUBLISHED,
                origin={"paper": True, "workshop": workshop.title},
            )
            for text in cleaned
        ]
