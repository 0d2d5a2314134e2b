"""Live board pages for the campaign's staff: opening and closing a session, the console and its
commands without JavaScript, the projected board, promotion, paper notes and the exports."""

import csv
import io
import re
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from consultation.actions.boards import join_session, open_session, resolve_participant, run_command
from consultation.models import CampaignRole, Card, CommandReceipt, Contribution, LiveSession
from consultation.models.contributions import Provenance
from tests import factories
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["live_console", "live_projection", "live_close", "live_promote"]
EXPORT_PAGES = ["live_export", "live_print"]


def url(name, session, **query) -> str:
    path = reverse(f"frontend:{name}", kwargs={"pk": session.pk})
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def workshop_url(name, workshop) -> str:
    return reverse(f"frontend:{name}", kwargs={"workshop_pk": workshop.pk})


def command(kind, **fields) -> dict:
    return {"type": kind, "id": str(uuid.uuid4()), **fields}


def add_card(participant, board, text="Curer les fossés avant l'hiver") -> Card:
    column = board.columns.first()
    result = run_command(participant, board, command("card.add", column=column.pk, text=text))
    return Card.objects.get(pk=result["result"]["card"]["id"])


def post_command(client, session, board, kind, page=None, **fields):
    data = {"type": kind, "board": board.pk, "page": page or str(uuid.uuid4()), **fields}
    return client.post(url("live_command", session), data, follow=True)


@pytest.fixture
def host(live_session, facilitator):
    return resolve_participant(live_session, user=facilitator)


@pytest.fixture
def outsider(db):
    """A facilitator, but of another campaign."""
    user = factories.UserFactory(display_name="Animation d'ailleurs")
    CampaignRole.objects.create(
        campaign=factories.CampaignFactory(), user=user, role=CampaignRole.Role.FACILITATOR
    )
    return user


def logged_in(persona_user) -> Client:
    client = Client()
    sign_in(client, persona_user)
    return client


# --- who may open each page -------------------------------------------------------------------


@pytest.mark.parametrize("name", STAFF_PAGES + EXPORT_PAGES)
@pytest.mark.parametrize("persona", ["facilitator", "organiser"])
def test_the_animation_team_opens_every_staff_page(request, live_session, name, persona):
    client = logged_in(request.getfixturevalue(persona))
    assert client.get(url(name, live_session)).status_code == 200


@pytest.mark.parametrize("name", STAFF_PAGES + EXPORT_PAGES)
@pytest.mark.parametrize("persona", ["resident", "outsider"])
def test_others_are_told_the_session_does_not_exist(request, live_session, name, persona):
    client = logged_in(request.getfixturevalue(persona))
    assert client.get(url(name, live_session)).status_code == 404


@pytest.mark.parametrize("name", STAFF_PAGES + EXPORT_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, live_session, name):
    response = client.get(url(name, live_session))
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/connexion/?next=")


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_moderators_do_not_run_the_session(moderator, live_session, name):
    assert logged_in(moderator).get(url(name, live_session)).status_code == 404


@pytest.mark.parametrize("name", EXPORT_PAGES)
def test_moderators_may_export(moderator, live_session, name):
    assert logged_in(moderator).get(url(name, live_session)).status_code == 200


@pytest.mark.parametrize("name", ["live_open", "live_paper_notes"])
def test_workshop_level_pages_are_for_the_animation_team(
    client, workshop, facilitator, resident, outsider, name
):
    target = workshop_url(name, workshop)
    assert client.get(target)["Location"].startswith("/compte/connexion/")
    assert logged_in(resident).get(target).status_code == 404
    assert logged_in(outsider).get(target).status_code == 404
    assert logged_in(facilitator).get(target).status_code == 200


# --- opening and closing ----------------------------------------------------------------------


def test_the_workshop_page_offers_to_open_a_session_to_facilitators_only(
    workshop, facilitator, resident
):
    assert (
        "Ouvrir une session en direct"
        in logged_in(facilitator).get(workshop.get_absolute_url()).content.decode()
    )
    assert (
        "Ouvrir une session en direct"
        not in logged_in(resident).get(workshop.get_absolute_url()).content.decode()
    )


def test_a_facilitator_opens_a_session_with_free_columns_and_tables(workshop, facilitator):
    client = logged_in(facilitator)
    data = {
        "title": "Atelier du soir",
        "template": "free",
        "columns": "Ce qui va\n\n  Ce qui   manque \nÀ essayer",
        "tables": "3",
        "dot_budget": "4",
        "anonymous": "on",
        "guests_allowed": "on",
    }
    response = client.post(workshop_url("live_open", workshop), data)
    session = LiveSession.objects.get(title="Atelier du soir")
    assert response["Location"] == url("live_console", session)
    assert session.anonymous and session.guests_allowed and session.dot_budget == 4
    assert [b.name for b in session.boards.all()] == ["Table 1", "Table 2", "Table 3"]
    titles = list(session.boards.first().columns.values_list("title", flat=True))
    assert titles == ["Ce qui va", "Ce qui manque", "À essayer"]
    page = client.get(response["Location"]).content.decode()
    assert session.join_code in page
    assert "Vue plénière : toutes les tables" in page
    assert page.count("data-live-table=") == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"template": "free", "columns": ""}, "Donnez au moins un titre de colonne."),
        ({"template": "free", "columns": "x" * 121}, "120 caractères au plus"),
        ({"template": "kanban"}, "Sélectionnez un choix valide"),
        ({"tables": "0"}, "supérieure ou égale à 1"),
        ({"tables": "21"}, "inférieure ou égale à 20"),
        ({"dot_budget": "51"}, "inférieure ou égale à 50"),
        ({"title": "ab"}, "Titre"),
    ],
)
def test_bad_session_options_are_refused_and_kept(workshop, facilitator, data, message):
    base = {"template": "findings_ideas_actions", "tables": "1", "dot_budget": "5"}
    response = logged_in(facilitator).post(workshop_url("live_open", workshop), {**base, **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not LiveSession.objects.exists()


def test_closing_asks_first_then_closes(live_session, facilitator):
    client = logged_in(facilitator)
    assert (
        "Oui, terminer la session" in client.get(url("live_close", live_session)).content.decode()
    )
    response = client.post(url("live_close", live_session), follow=True)
    live_session.refresh_from_db()
    assert live_session.status == LiveSession.Status.CLOSED
    assert "La session est terminée" in response.content.decode()


def test_closing_needs_the_csrf_token(live_session, facilitator):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, facilitator)
    assert client.post(url("live_close", live_session)).status_code == 403
    live_session.refresh_from_db()
    assert live_session.is_open


# --- the console ------------------------------------------------------------------------------


def test_the_console_shows_the_code_the_tables_and_who_is_there(
    live_session, board, guest, facilitator
):
    add_card(guest, board, "Des bassins de rétention")
    page = logged_in(facilitator).get(url("live_console", live_session)).content.decode()
    assert live_session.join_code in page
    assert "Des bassins de rétention" in page
    assert "Camille" in page  # in the presence list, with a way to remove them
    assert 'data-command="participant.remove"' in page
    assert 'data-command="timer.start"' in page


def test_console_commands_work_without_javascript(live_session, board, facilitator):
    client = logged_in(facilitator)
    response = post_command(client, live_session, board, "session.lock")
    assert "C&#x27;est fait." in response.content.decode()
    post_command(client, live_session, board, "timer.start", minutes="3", closes_input="on")
    post_command(client, live_session, board, "session.step", step="vote")
    live_session.refresh_from_db()
    assert live_session.locked
    assert live_session.step == "vote"
    assert live_session.timer_closes_input
    assert 170 <= live_session.timer_remaining().total_seconds() <= 180


def test_the_same_console_form_sent_twice_is_applied_once(live_session, board, facilitator):
    client = logged_in(facilitator)
    post_command(client, live_session, board, "timer.start", minutes="3")
    page = str(uuid.uuid4())
    post_command(client, live_session, board, "timer.add", page=page, seconds="60")
    post_command(client, live_session, board, "timer.add", page=page, seconds="60")
    live_session.refresh_from_db()
    assert 230 <= live_session.timer_remaining().total_seconds() <= 240
    # Two different forms of the same page are two commands.
    post_command(client, live_session, board, "timer.add", page=page, seconds="-60")
    live_session.refresh_from_db()
    assert 170 <= live_session.timer_remaining().total_seconds() <= 180
    assert CommandReceipt.objects.count() == 3


def test_a_facilitator_hides_a_card_with_a_reason_and_restores_it(
    live_session, board, guest, facilitator
):
    card = add_card(guest, board, "Nom et téléphone du voisin")
    client = logged_in(facilitator)
    post_command(client, live_session, board, "card.hide", card=card.pk, reason="personal_data")
    card.refresh_from_db()
    assert card.hidden and card.hidden_reason == "personal_data"
    post_command(client, live_session, board, "card.restore", card=card.pk)
    card.refresh_from_db()
    assert not card.hidden


def test_clusters_are_made_and_cards_put_in_them(live_session, board, guest, facilitator):
    card = add_card(guest, board)
    client = logged_in(facilitator)
    post_command(client, live_session, board, "cluster.create", name="Entretien des fossés")
    cluster = board.clusters.get()
    column = board.columns.last()
    post_command(
        client, live_session, board, "card.move", card=card.pk, column=column.pk, cluster=cluster.pk
    )
    card.refresh_from_db()
    assert (card.cluster, card.column) == (cluster, column)
    page = client.get(url("live_console", live_session)).content.decode()
    assert "Regroupement : Entretien des fossés" in page


def test_a_moderator_hides_a_card_from_the_table_board(live_session, board, guest, moderator):
    card = add_card(guest, board, "Publicité pour un garage")
    client = logged_in(moderator)
    data = {"next": "board", "card": card.pk, "reason": "spam"}
    response = post_command(client, live_session, board, "card.hide", **data)
    assert response.redirect_chain[-1][0] == url("live_session", live_session, table=board.pk)
    card.refresh_from_db()
    assert card.hidden
    response = post_command(client, live_session, board, "session.lock")
    assert "Seul·e l&#x27;animateur·rice peut faire cela." in response.content.decode()
    live_session.refresh_from_db()
    assert not live_session.locked


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "card.hide", "reason": "spam"},  # no card
        {"type": "card.hide", "card": "1", "reason": "boring"},
        {"type": "timer.start", "minutes": "0"},
        {"type": "timer.start", "minutes": "abc"},
        {"type": "session.explode"},
        {"type": "session.lock", "page": "pas-un-uuid"},
    ],
)
def test_bad_console_input_changes_nothing(live_session, board, facilitator, fields):
    client = logged_in(facilitator)
    data = {"board": board.pk, "page": str(uuid.uuid4()), **fields}
    response = client.post(url("live_command", live_session), data, follow=True)
    assert "La commande est incomplète ou invalide" in response.content.decode()
    assert not CommandReceipt.objects.exists()


def test_a_board_of_another_session_is_not_found(live_session, facilitator, workshop):
    other = open_session(facilitator, workshop, title="Autre session")
    client = logged_in(facilitator)
    response = post_command(client, live_session, other.boards.get(), "session.lock")
    assert response.status_code == 404
    other.refresh_from_db()
    assert not other.locked


def test_console_commands_are_for_the_campaigns_staff(client, live_session, board, resident):
    assert (
        post_command(client, live_session, board, "session.lock")
        .redirect_chain[0][0]
        .startswith("/compte/connexion/")
    )
    assert post_command(logged_in(resident), live_session, board, "session.lock").status_code == 404
    live_session.refresh_from_db()
    assert not live_session.locked


def test_console_commands_need_the_csrf_token(live_session, board, facilitator):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, facilitator)
    data = {"type": "session.lock", "board": board.pk, "page": str(uuid.uuid4())}
    assert client.post(url("live_command", live_session), data).status_code == 403


def test_the_console_costs_a_fixed_number_of_queries_per_table(
    live_session, board, guest, facilitator, django_assert_num_queries
):
    client = logged_in(facilitator)
    client.get(url("live_console", live_session))  # the facilitator's participant is created
    for n in range(3):
        add_card(guest, board, f"Carte {n}")
    # live session, Django session, user, roles, participant, boards, then per table: board,
    # dot counts, cards, boards, columns, clusters, my dots, participants; none per card.
    with django_assert_num_queries(18):  # +2: staff gate, role and second-factor device
        client.get(url("live_console", live_session))
    for n in range(15):
        add_card(guest, board, f"Encore {n}")
    with django_assert_num_queries(18):  # +2: staff gate, role and second-factor device
        client.get(url("live_console", live_session))


# --- projection -------------------------------------------------------------------------------


def test_the_projection_shows_the_code_and_a_qr_code_with_a_text_alternative(
    live_session, board, guest, host, facilitator
):
    card = add_card(guest, board, "Une carte à montrer à tous")
    run_command(host, board, command("card.spotlight", card=card.pk))
    page = logged_in(facilitator).get(url("live_projection", live_session)).content.decode()
    assert 'class="live-code live-code--huge"' in page
    assert live_session.join_code in page
    assert "<svg" in page and 'class="live-qr"' in page
    join = f"/ateliers-en-direct/rejoindre/?code={live_session.join_code}"
    assert f"QR code : il ouvre http://testserver{join}" in page
    spotlight = re.search(r"data-live-spotlight-text>(.*?)</p>", page).group(1)
    assert spotlight == "Une carte à montrer à tous"


# --- promotion and paper notes ----------------------------------------------------------------


def test_cards_and_clusters_are_promoted_with_links_to_the_contributions(
    live_session, board, guest, host, facilitator, theme
):
    single = add_card(guest, board, "Planter des haies le long des champs")
    grouped = [add_card(guest, board, f"Fossé n°{n}") for n in range(2)]
    cluster_id = run_command(
        host, board, command("cluster.create", name="Fossés", cards=[c.pk for c in grouped])
    )["result"]["cluster"]["id"]
    client = logged_in(facilitator)
    page = client.get(url("live_promote", live_session)).content.decode()
    assert "Planter des haies le long des champs" in page
    response = client.post(
        url("live_promote", live_session),
        {"cards": [single.pk], "clusters": [cluster_id], "theme": theme.pk},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 contributions créées" in page
    created = Contribution.objects.filter(provenance=Provenance.WORKSHOP)
    assert created.count() == 2
    for contribution in created:
        assert contribution.theme == theme
        assert contribution.get_absolute_url() in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Cochez au moins une carte ou un regroupement."),
        ({"cards": ["999999"]}, "Sélectionnez un choix valide"),
        # Beyond what the database can hold (SQLite raised OverflowError: a 500).
        ({"cards": ["9" * 21]}, "Sélectionnez un choix valide"),
        ({"clusters": ["9" * 21]}, "Sélectionnez un choix valide"),
        ({"cards": ["1"], "theme": "9" * 21}, "Sélectionnez un choix valide"),
    ],
)
def test_bad_promotions_are_refused(live_session, board, guest, facilitator, data, message):
    add_card(guest, board)
    response = logged_in(facilitator).post(url("live_promote", live_session), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Contribution.objects.exists()


def test_a_card_of_another_session_cannot_be_promoted(live_session, facilitator, workshop):
    other = open_session(facilitator, workshop, title="Autre session")
    participant, _ = join_session(
        AnonymousUser(),
        other.join_code,
        nickname="Ailleurs",
    )
    foreign = add_card(participant, other.boards.get(), "Carte d'une autre session")
    response = logged_in(facilitator).post(
        url("live_promote", live_session), {"cards": [foreign.pk]}
    )
    assert response.status_code == 400
    assert not Contribution.objects.exists()


def test_paper_notes_become_paper_contributions(workshop, facilitator, commune):
    client = logged_in(facilitator)
    notes = "Des bancs au bord de la Canche\n\n  Un panneau sur le niveau de l'eau  \n"
    response = client.post(workshop_url("live_paper_notes", workshop), {"notes": notes})
    assert response.status_code == 200
    assert "2 notes enregistrées" in response.content.decode()
    created = Contribution.objects.filter(provenance=Provenance.PAPER).order_by("pk")
    assert [c.body for c in created] == [
        "Des bancs au bord de la Canche",
        "Un panneau sur le niveau de l'eau",
    ]


@pytest.mark.parametrize(
    ("notes", "message"),
    [
        ("\n  \n", "Ce champ est obligatoire."),
        ("Bien\n" + "x" * 2001, "La note n°2 dépasse 2000 caractères."),
        ("ok", "Note 1"),
    ],
)
def test_bad_paper_notes_are_refused_and_kept(workshop, facilitator, notes, message):
    response = logged_in(facilitator).post(
        workshop_url("live_paper_notes", workshop), {"notes": notes}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Contribution.objects.exists()


# --- exports ----------------------------------------------------------------------------------


def test_the_csv_export_opens_in_excel(live_session, board, guest, host, facilitator):
    card = add_card(guest, board, "Des repères de crue ; visibles")
    add_card(guest, board, '=HYPERLINK("http://exemple.fr")')
    run_command(host, board, command("session.step", step="vote"))
    run_command(guest, board, command("dot.add", card=card.pk))
    response = logged_in(facilitator).get(url("live_export", live_session))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert rows[0][:6] == ["Table", "Colonne", "Regroupement", "Texte", "Auteur·rice", "Gommettes"]
    by_text = {row[3]: row for row in rows[1:]}
    assert by_text["Des repères de crue ; visibles"][5] == "1"
    assert by_text["Des repères de crue ; visibles"][4] == "Camille"
    # A participant's text never runs as a spreadsheet formula.
    assert '\'=HYPERLINK("http://exemple.fr")' in by_text


def test_the_printable_page_lists_clusters_with_their_votes(
    live_session, board, guest, host, facilitator
):
    cards = [add_card(guest, board, f"Idée {n}") for n in range(3)]
    run_command(host, board, command("cluster.create", name="Haies", cards=[cards[0].pk]))
    run_command(host, board, command("session.step", step="vote"))
    for _ in range(2):
        run_command(guest, board, command("dot.add", card=cards[0].pk))
    page = logged_in(facilitator).get(url("live_print", live_session)).content.decode()
    assert "Regroupement : Haies — 2 gommettes" in page
    assert "Idée 1" in page and "Idée 2" in page


def test_the_projected_screen_never_shows_a_hidden_card(
    live_session, board, guest, host, facilitator
):
    card = add_card(guest, board, "Le numéro du voisin : 06 00 00 00 00")
    run_command(host, board, command("card.spotlight", card=card.pk))
    run_command(host, board, command("card.hide", card=card.pk, reason="personal_data"))
    client = logged_in(facilitator)
    projected = client.get(url("live_projection", live_session)).content.decode()
    assert 'class="live-card__text">Le numéro du voisin' not in projected
    assert re.search(r"data-live-spotlight-text></p>", projected)
    console = client.get(url("live_console", live_session)).content.decode()
    assert 'class="live-card__text">Le numéro du voisin' in console


def test_the_projected_screen_shows_what_participants_see(
    live_session, board, guest, host, facilitator
):
    card = add_card(guest, board, "Une haie le long du chemin")
    run_command(host, board, command("session.step", step="vote"))
    run_command(guest, board, command("dot.add", card=card.pk))
    run_command(host, board, command("session.anonymous", anonymous=True))
    client = logged_in(facilitator)
    projected = client.get(url("live_projection", live_session)).content.decode()
    assert 'class="live-card__text">Une haie le long du chemin' in projected
    assert 'class="live-card__author"' not in projected
    assert 'class="live-card__dots"' not in projected
    run_command(host, board, command("votes.reveal"))
    projected = client.get(url("live_projection", live_session)).content.decode()
    assert 'class="live-card__dots">1 gommette' in projected
    console = client.get(url("live_console", live_session)).content.decode()
    assert 'class="live-card__author">Camille' in console
