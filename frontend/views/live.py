"""Live workshop boards: joining with a code, the table's board, the facilitator's console, the
projected board, and what staff do around a session (open, close, promote, paper notes, export).

Every change goes through one action of consultation/actions/boards.py. The pages are drawn on
the server from the same snapshot the websocket sends, so they work without JavaScript;
frontend/static/frontend/live/board.js then keeps them live over the websocket.
"""

import csv
import io
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import wraps

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from consultation.actions.boards import (
    add_paper_notes,
    close_session,
    join_session,
    open_session,
    promote_cards,
    resolve_participant,
    run_command,
)
from consultation.errors import ActionRefused
from consultation.live import board_export_rows, board_snapshot
from consultation.models import Board, LiveSession, Participant, Workshop
from consultation.models.boards import CARD_TEXT_MAX, WRITING_STEPS, CardColour, HideReason, Step
from consultation.ratelimit import check_rate, client_address
from consultation.rules import is_campaign_staff, is_facilitator
from frontend.forms_live import (
    CardForm,
    CommandForm,
    JoinForm,
    MyCardForm,
    OpenSessionForm,
    PaperNotesForm,
    PromoteForm,
    normalise_join_code,
)
from frontend.views._common import apply_form, breadcrumb, refusal_to_form, run_action

GUESTS_KEY = "live_participants"
COLOUR_LABELS = dict(CardColour.choices)


def live_texts() -> dict:
    """What board.js shows, translated with the page (the script holds no sentence itself)."""
    return {
        "pending": _("En attente d'envoi"),
        "refused": _("Refusée"),
        "online": _("Connecté·e : le tableau se met à jour en direct."),
        "offline": _(
            "Connexion perdue : nouvelle tentative en cours. Vos cartes sont gardées et seront "
            "envoyées au retour du réseau."
        ),
        "closed": _("La session est terminée ou vous n'y avez plus accès."),
        "new_cards_one": _("1 nouvelle carte sur le tableau."),
        "new_cards_many": _("%n nouvelles cartes sur le tableau."),
        "dots_one": ngettext("%n gommette", "%n gommettes", 1),
        "dots_many": ngettext("%n gommette", "%n gommettes", 2),
        "dot_add": _("Ajouter une gommette"),
        "dot_remove": _("Retirer une gommette"),
        "dots_left": _("Gommettes restantes : %n"),
        "edit": _("Modifier"),
        "save": _("Enregistrer"),
        "cancel": _("Annuler"),
        "delete": _("Supprimer"),
        "confirm_delete": _("Supprimer cette carte ?"),
        "hidden": _("Masquée"),
        "hide": _("Masquer"),
        "restore": _("Rétablir"),
        "reason": _("Motif"),
        "spotlight": _("Mettre en avant"),
        "unspotlight": _("Ne plus mettre en avant"),
        "colour": _("Couleur"),
        "apply": _("Appliquer"),
        "move": _("Déplacer"),
        "column": _("Colonne"),
        "cluster": _("Regroupement"),
        "no_cluster": _("Aucun regroupement"),
        "actions": _("Actions sur la carte"),
        "card_text": _("Texte de la carte"),
        "anonymous_author": _("Anonyme"),
        "cluster_label": _("Regroupement : %s"),
        "colour_label": _("Couleur : %s"),
        "present": _("présent·e"),
        "absent": _("absent·e"),
        "remove": _("Retirer"),
        "confirm_remove": _("Retirer cette personne de la session ?"),
        "locked": _("Verrouillé"),
        "time_up": _("Temps écoulé"),
        "no_card": _("Aucune carte pour le moment."),
        "spotlight_title": _("Carte mise en avant"),
        "rename": _("Renommer"),
        "name": _("Nom du regroupement"),
        "generic_error": _("Une erreur est survenue : réessayez."),
        "empty_card": _("Écrivez le texte de votre carte avant de l'ajouter."),
        "open_board": _("Ouvert à la saisie"),
        "anonymous_on": _("Mode anonyme"),
        "anonymous_off": _("Auteur·rices affiché·es"),
        "votes_on": _("Votes révélés"),
        "votes_off": _("Votes cachés"),
        "steps": dict(Step.choices),
        "colours": COLOUR_LABELS,
        "reasons": dict(HideReason.choices),
        "timer_states": {
            "idle": _("Minuteur arrêté"),
            "running": _("Temps restant"),
            "paused": _("Minuteur en pause"),
            "ended": _("Temps écoulé"),
        },
    }


# --- Finding the session, the person and the board -------------------------------------------


def _live_session(pk: int) -> LiveSession:
    return get_object_or_404(LiveSession.objects.select_related("workshop__campaign"), pk=pk)


def _participant(request: HttpRequest, session: LiveSession) -> Participant | None:
    """Who this browser is in the session: an account (staff get a participant on demand) or
    the guest whose id the join page kept in the Django session."""
    guest_id = request.session.get(GUESTS_KEY, {}).get(str(session.pk))
    return resolve_participant(session, user=request.user, participant_id=guest_id)


def _remember_guest(request: HttpRequest, participant: Participant) -> None:
    guests = dict(request.session.get(GUESTS_KEY, {}))
    guests[str(participant.session_id)] = participant.pk
    request.session[GUESTS_KEY] = guests


def _board_for(request: HttpRequest, participant: Participant) -> Board:
    """The person's table; staff may look at any table of the session with ?table=<board id>."""
    table = request.GET.get("table", "")
    if participant.is_staff_role and table.isdigit():
        return get_object_or_404(Board.objects.filter(session_id=participant.session_id), pk=table)
    return participant.board


def staff_view(predicate: Callable) -> Callable:
    """For the campaign's staff only: others are sent to log in, or told the page does not
    exist (404), so that a session's existence leaks to nobody."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, pk: int, *args, **kwargs):
            session = _live_session(pk)
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not predicate.test(request.user, session):
                raise Http404("Session introuvable.")
            return view(request, session, *args, **kwargs)

        return wrapped

    return decorator


def _workshop_for_staff(request: HttpRequest, workshop_pk: int) -> Workshop | HttpResponse:
    workshop = get_object_or_404(Workshop.objects.select_related("campaign"), pk=workshop_pk)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_facilitator.test(request.user, workshop):
        raise Http404("Atelier introuvable.")
    return workshop


# --- Turning a snapshot into what the templates draw ------------------------------------------


def _timer_text(timer: dict) -> str:
    remaining = timer.get("remaining")
    if remaining is None:
        return ""
    minutes, seconds = divmod(int(remaining), 60)
    return f"{minutes:02d}:{seconds:02d}"


def board_view(snapshot: dict, *, public: bool = False) -> dict:
    """Columns with their cards, clustered cards together (the order board.js uses too).

    `public`: for the room's screen, which a staff account drives but everyone reads: no hidden
    card, no author in anonymous mode, no dot count before the reveal (as participants see)."""
    clusters = {c["id"]: c for c in snapshot["clusters"]}
    order = {cluster_id: index for index, cluster_id in enumerate(clusters)}
    shown = [_public_card(c, snapshot["session"]) if public else c for c in snapshot["cards"]]
    shown = [c for c in shown if c is not None]
    spotlight = snapshot["session"].get("spotlight")
    if public and spotlight:
        spotlight = _public_card(spotlight, snapshot["session"])
    columns = []
    for column in snapshot["columns"]:
        cards = [dict(card) for card in shown if card["column"] == column["id"]]
        for card in cards:
            card["cluster_name"] = clusters.get(card["cluster"], {}).get("name", "")
            card["colour_label"] = COLOUR_LABELS.get(card["colour"], "")
        cards.sort(key=lambda c: (order.get(c["cluster"], len(order)), c["position"], c["id"]))
        columns.append({**column, "cards": cards})
    return {
        "columns": columns,
        "clusters": snapshot["clusters"],
        "spotlight": spotlight,
        "timer_text": _timer_text(snapshot["session"].get("timer") or {}),
    }


def _public_card(card: dict, session: dict) -> dict | None:
    if card.get("hidden"):
        return None
    return {
        **card,
        "author": None if session["anonymous"] else card["author"],
        "dots": card["dots"] if session["votes_revealed"] else None,
    }


def _board_context(session: LiveSession, participant: Participant, board: Board) -> dict:
    snapshot = board_snapshot(participant, board)
    return {
        "live_session": session,
        "workshop": session.workshop,
        "campaign": session.workshop.campaign,
        "participant": participant,
        "board": board,
        "snapshot": snapshot,
        "view": board_view(snapshot),
        "steps": Step.choices,
        "colours": CardColour.choices,
        "hide_reasons": HideReason.choices,
        "card_text_max": CARD_TEXT_MAX,
        "live_texts": live_texts(),
        "page_key": uuid.uuid4(),
    }


# --- Participants -----------------------------------------------------------------------------


def join(request: HttpRequest):
    """The join code (and a nickname for guests); the QR code points here with ?code=."""
    guest = not request.user.is_authenticated
    initial = {"code": normalise_join_code(request.GET.get("code", ""))[:12]}
    if request.method == "GET" and initial["code"]:
        # The QR code scanned again by someone already in the session: straight to their board.
        session = LiveSession.objects.filter(
            join_code=initial["code"], status=LiveSession.Status.OPEN
        ).first()
        if session is not None and _participant(request, session) is not None:
            messages.info(request, _("Vous participez déjà à cet atelier : voici votre tableau."))
            return redirect(session.get_absolute_url())
    form = JoinForm(
        request.POST if request.method == "POST" else None, guest=guest, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            check_rate("live_join", client_address(request), settings.RATE_LIMITS["live_join"])
            participant, _token = join_session(
                request.user,
                data["code"],
                nickname=data.get("nickname", ""),
                email=data.get("email", ""),
                kept_guests=request.session.get(GUESTS_KEY, {}),
            )
        except ActionRefused as refusal:
            refusal_to_form(form, refusal)
        else:
            if guest:
                _remember_guest(request, participant)
            return redirect(participant.session.get_absolute_url())
    context = {"form": form, "breadcrumb_data": breadcrumb(_("Rejoindre un atelier en direct"))}
    return render(request, "frontend/live/join.html", context, status=_form_status(form))


def _form_status(form) -> int:
    """200, 400 for bad input, 429 when a rate limit refused it."""
    if not form.errors:
        return 200
    throttled = any(
        e.code == "throttled" for errors in form.errors.as_data().values() for e in errors
    )
    return 429 if throttled else 400


def _render_board(
    request, session, participant, board, *, card_form=None, problem=None, status=200
):
    """The participant's board page. `problem`: a refused move on one of their cards (card id,
    message, the text they typed), shown on that card with the text kept."""
    context = _board_context(session, participant, board)
    context["card_form"] = card_form or CardForm(columns=context["snapshot"]["columns"])
    my_card_url = reverse("frontend:live_my_card", kwargs={"pk": session.pk})
    context["my_card_url"] = my_card_url + (
        f"?table={board.pk}" if participant.is_staff_role else ""
    )
    context["writing_steps"] = " ".join(WRITING_STEPS)
    context["can_write"] = (
        participant.is_staff_role or context["snapshot"]["session"]["step"] in WRITING_STEPS
    )
    me = context["snapshot"].get("me") or {}
    my_dots = me.get("my_dots", {})
    for column in context["view"]["columns"]:
        for card in column["cards"]:
            card["my_dots"] = my_dots.get(str(card["id"]), 0)
            if problem and problem["card"] == card["id"]:
                card["problem"] = problem
    context["breadcrumb_data"] = breadcrumb(
        session.title,
        campaign=session.workshop.campaign,
        links=[(session.workshop.get_absolute_url(), session.workshop.title)],
    )
    return render(request, "frontend/live/board.html", context, status=status)


@require_GET
def board(request: HttpRequest, pk: int):
    session = _live_session(pk)
    participant = _participant(request, session)
    if participant is None:
        if session.is_open:
            messages.info(request, _("Saisissez le code de l'atelier pour rejoindre le tableau."))
            return redirect("frontend:live_join")
        raise Http404("Session introuvable.")
    return _render_board(request, session, participant, _board_for(request, participant))


@require_POST
def card_add(request: HttpRequest, pk: int):
    """The board's card form without JavaScript: the id drawn with the page makes a double
    submit add the card once."""
    session = _live_session(pk)
    participant = _participant(request, session)
    if participant is None:
        raise Http404("Session introuvable.")
    board = _board_for(request, participant)
    columns = list(board.columns.values("id", "title"))
    form = CardForm(request.POST, columns=columns)
    if form.is_valid():
        try:
            check_rate("live_card", str(participant.pk), settings.RATE_LIMITS["live_card"])
            run_command(participant, board, form.command())
        except ActionRefused as refusal:
            refusal_to_form(form, refusal)
        else:
            messages.success(request, _("Votre carte est ajoutée au tableau."))
            return redirect(_board_url(session, board, participant))
    return _render_board(
        request, session, participant, board, card_form=form, status=_form_status(form)
    )


MY_CARD_DONE = {
    "card.edit": gettext_lazy("Votre carte est modifiée."),
    "card.delete": gettext_lazy("Votre carte est supprimée."),
    "dot.add": gettext_lazy("Gommette ajoutée."),
    "dot.remove": gettext_lazy("Gommette retirée."),
}


@require_POST
def my_card(request: HttpRequest, pk: int):
    """A participant's moves on their board without JavaScript (MyCardForm); with JavaScript
    the same commands go over the websocket. A refusal is shown on the card, text kept."""
    session = _live_session(pk)
    participant = _participant(request, session)
    if participant is None:
        raise Http404("Session introuvable.")
    board = _board_for(request, participant)
    form = MyCardForm(request.POST)
    if form.is_valid():
        command = form.command()
        try:
            check_rate("live_card", str(participant.pk), settings.RATE_LIMITS["live_card"])
            run_command(participant, board, command)
        except ActionRefused as refusal:
            message = refusal.message
            status = 429 if refusal.code == "throttled" else 400
        else:
            messages.success(request, MY_CARD_DONE[command["type"]])
            url = _board_url(session, board, participant)
            anchor = "" if command["type"] == "card.delete" else f"#carte-{command['card']}"
            return redirect(url + anchor)
    else:
        message = " ".join(error for errors in form.errors.values() for error in errors)
        status = 400
    card = form.cleaned_data.get("card")  # None when the id itself was bad
    problem = {"card": card, "message": message, "text": request.POST.get("text", "")}
    messages.error(request, message)
    return _render_board(request, session, participant, board, problem=problem, status=status)


def _board_url(session: LiveSession, board: Board, participant: Participant) -> str:
    url = session.get_absolute_url()
    return f"{url}?table={board.pk}" if participant.is_staff_role else url


# --- Facilitators ------------------------------------------------------------------------------


@require_GET
@staff_view(is_facilitator)
def console(request: HttpRequest, session: LiveSession):
    """Steps, timer, lock, votes, moderation and the plenary view of every table's board."""
    participant = _participant(request, session)
    boards = list(session.boards.all())
    tables = []
    for board in boards:
        snapshot = board_snapshot(participant, board)
        tables.append({"board": board, "snapshot": snapshot, "view": board_view(snapshot)})
    first = tables[0]["snapshot"]
    context = {
        "live_session": session,
        "workshop": session.workshop,
        "campaign": session.workshop.campaign,
        "participant": participant,
        "tables": tables,
        "session_state": first["session"],
        "participants": first.get("participants", []),
        "steps": Step.choices,
        "colours": CardColour.choices,
        "hide_reasons": HideReason.choices,
        "join_url": _join_url(request, session),
        "live_texts": live_texts(),
        "page_key": uuid.uuid4(),
        "timer_buttons": [
            ("timer.pause", _("Pause")),
            ("timer.resume", _("Reprendre")),
            ("timer.add", _("+1 min")),
            ("timer.end", _("Terminer le minuteur")),
        ],
        "board_buttons": [
            ("session.lock", _("Verrouiller le tableau"), ""),
            ("session.unlock", _("Déverrouiller"), ""),
            ("session.anonymous", _("Activer le mode anonyme"), "on"),
            ("session.anonymous", _("Désactiver le mode anonyme"), ""),
            ("votes.reveal", _("Révéler les votes"), ""),
            ("votes.hide", _("Cacher les votes"), ""),
        ],
        "breadcrumb_data": breadcrumb(
            _("Animer"),
            campaign=session.workshop.campaign,
            links=[(session.workshop.get_absolute_url(), session.workshop.title)],
        ),
    }
    return render(request, "frontend/live/console.html", context)


@require_POST
@staff_view(is_campaign_staff)
def command(request: HttpRequest, session: LiveSession):
    """A console command sent without JavaScript; with JavaScript the same forms go over the
    websocket. The action checks the role (moderators may only hide and restore)."""
    participant = _participant(request, session)
    form = CommandForm(request.POST)
    back = _command_return(request, session)
    if not form.is_valid():
        messages.error(request, _("La commande est incomplète ou invalide : rien n'a changé."))
        return redirect(back)
    board = get_object_or_404(Board.objects.filter(session=session), pk=form.cleaned_data["board"])
    run_action(request, run_command, participant, board, form.command(), success=_("C'est fait."))
    return redirect(back)


def _command_return(request: HttpRequest, session: LiveSession) -> str:
    """Back to the page the form was on: the console, or a table's board (where moderators,
    who have no console, act)."""
    to_board = request.POST.get("next") == "board" or not is_facilitator.test(request.user, session)
    if to_board and request.POST.get("board", "").isdigit():
        return f"{session.get_absolute_url()}?table={request.POST['board']}"
    return reverse("frontend:live_console", kwargs={"pk": session.pk})


def _join_url(request: HttpRequest, session: LiveSession) -> str:
    path = reverse("frontend:live_join")
    return request.build_absolute_uri(f"{path}?code={session.join_code}")


def _qr_svg(url: str) -> str:
    """The join link as an inline SVG QR code (segno writes only its own markup)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", xmldecl=False, svgns=True, scale=6, border=2, svgclass="live-qr"
    )
    return buffer.getvalue().decode()


@require_GET
@staff_view(is_facilitator)
def projection(request: HttpRequest, session: LiveSession):
    participant = _participant(request, session)
    board = _board_for(request, participant)
    context = _board_context(session, participant, board)
    context["view"] = board_view(context["snapshot"], public=True)
    join_url = _join_url(request, session)
    context.update({"join_url": join_url, "qr_svg": _qr_svg(join_url)})
    return render(request, "frontend/live/projection.html", context)


def open_live_session(request: HttpRequest, workshop_pk: int):
    workshop = _workshop_for_staff(request, workshop_pk)
    if isinstance(workshop, HttpResponse):
        return workshop
    form = OpenSessionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        session = apply_form(form, open_session, request.user, workshop)
        if session is not None:
            messages.success(
                request, _("La session est ouverte. Code : %(code)s") % {"code": session.join_code}
            )
            return redirect("frontend:live_console", pk=session.pk)
    context = {
        "workshop": workshop,
        "campaign": workshop.campaign,
        "form": form,
        "breadcrumb_data": breadcrumb(
            _("Ouvrir une session en direct"),
            campaign=workshop.campaign,
            links=[(workshop.get_absolute_url(), workshop.title)],
        ),
    }
    return render(request, "frontend/live/open.html", context, status=400 if form.errors else 200)


@staff_view(is_facilitator)
def close(request: HttpRequest, session: LiveSession):
    """GET asks for confirmation; POST closes the session (boards stay readable)."""
    if request.method == "POST":
        done = _("La session est terminée : plus aucune carte ne peut être ajoutée.")
        run_action(request, close_session, request.user, session, success=done)
        return redirect("frontend:live_console", pk=session.pk)
    context = {
        "live_session": session,
        "campaign": session.workshop.campaign,
        "breadcrumb_data": breadcrumb(
            _("Terminer la session"),
            campaign=session.workshop.campaign,
            links=[(reverse("frontend:live_console", kwargs={"pk": session.pk}), session.title)],
        ),
    }
    return render(request, "frontend/live/close.html", context)


@staff_view(is_facilitator)
def promote(request: HttpRequest, session: LiveSession):
    """Cards and clusters become campaign contributions, with their provenance."""
    campaign = session.workshop.campaign
    form = PromoteForm(
        request.POST if request.method == "POST" else None, session=session, campaign=campaign
    )
    created = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = promote_cards(
                request.user,
                session,
                cards=[card.pk for card in data["cards"]],
                clusters=[cluster.pk for cluster in data["clusters"]],
                theme=data["theme"],
            )
        except ActionRefused as refusal:
            refusal_to_form(form, refusal)
    context = {
        "live_session": session,
        "campaign": campaign,
        "form": form,
        "created": created,
        "breadcrumb_data": _session_breadcrumb(session, _("Verser en contributions")),
    }
    status = 400 if form.errors else 200
    return render(request, "frontend/live/promote.html", context, status=status)


def paper_notes(request: HttpRequest, workshop_pk: int):
    """Notes written on paper during the workshop, typed in by staff (provenance: paper)."""
    workshop = _workshop_for_staff(request, workshop_pk)
    if isinstance(workshop, HttpResponse):
        return workshop
    form = PaperNotesForm(
        request.POST if request.method == "POST" else None, campaign=workshop.campaign
    )
    created = None
    if request.method == "POST":
        created = apply_form(form, add_paper_notes, request.user, workshop)
        if created is not None:
            form = PaperNotesForm(campaign=workshop.campaign)
    context = {
        "workshop": workshop,
        "campaign": workshop.campaign,
        "form": form,
        "created": created,
        "breadcrumb_data": breadcrumb(
            _("Saisir des notes papier"),
            campaign=workshop.campaign,
            links=[(workshop.get_absolute_url(), workshop.title)],
        ),
    }
    status = 400 if form.errors else 200
    return render(request, "frontend/live/paper_notes.html", context, status=status)


def _session_breadcrumb(session: LiveSession, current: str) -> dict:
    return breadcrumb(
        current,
        campaign=session.workshop.campaign,
        links=[
            (session.workshop.get_absolute_url(), session.workshop.title),
            (reverse("frontend:live_console", kwargs={"pk": session.pk}), session.title),
        ],
    )


# --- Export ------------------------------------------------------------------------------------

EXPORT_COLUMNS = {
    "table": _("Table"),
    "column": _("Colonne"),
    "cluster": _("Regroupement"),
    "text": _("Texte"),
    "author": _("Auteur·rice"),
    "dots": _("Gommettes"),
    "step": _("Étape"),
    "hidden": _("Masquée"),
    "hidden_reason": _("Motif de masquage"),
    "promoted_to": _("Versée (n° de contribution)"),
    "created_at": _("Créée le"),
}


@require_GET
@staff_view(is_campaign_staff)
def export_csv(request: HttpRequest, session: LiveSession):
    """Every table's cards; UTF-8 with a BOM and ';' so that Excel opens it as is."""
    rows = [row for board in session.boards.all() for row in board_export_rows(board)]
    keys = list(rows[0]) if rows else list(EXPORT_COLUMNS)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([str(EXPORT_COLUMNS.get(key, key)) for key in keys])
    for row in rows:
        writer.writerow([_csv_cell(row.get(key)) for key in keys])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="atelier-{session.pk}.csv"'
    return response


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    text = str(value)
    # A cell starting with = + - @ is a formula to a spreadsheet: never run a participant's text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@require_GET
@staff_view(is_campaign_staff)
def print_board(request: HttpRequest, session: LiveSession):
    """Every table's board on paper: clusters with their cards and vote counts."""
    participant = _participant(request, session)
    tables = []
    for board in session.boards.all():
        snapshot = board_snapshot(participant, board)
        tables.append({"board": board, "groups": _print_groups(snapshot)})
    context = {"live_session": session, "campaign": session.workshop.campaign, "tables": tables}
    return render(request, "frontend/live/print.html", context)


def _print_groups(snapshot: dict) -> list[dict]:
    """Clusters first (with their total of dots), then the cards of each column outside any."""
    columns = {c["id"]: c["title"] for c in snapshot["columns"]}
    visible = [c for c in snapshot["cards"] if not c.get("hidden")]
    by_votes = sorted(visible, key=lambda c: (-(c.get("dots") or 0), c["id"]))
    groups = []
    for cluster in snapshot["clusters"]:
        cards = [c for c in by_votes if c["cluster"] == cluster["id"]]
        total = sum(c.get("dots") or 0 for c in cards)
        groups.append({"title": cluster["name"], "cards": cards, "dots": total, "cluster": True})
    for column_id, title in columns.items():
        cards = [c for c in by_votes if c["cluster"] is None and c["column"] == column_id]
        if cards:
            groups.append({"title": title, "cards": cards, "dots": None, "cluster": False})
    return groups
