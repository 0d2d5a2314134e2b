"""Live board pages for participants: joining with the code, the table's board drawn on the
server, and the card form that works without JavaScript."""

import re
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from consultation.actions.boards import (
    close_session,
    join_session,
    open_session,
    resolve_participant,
    run_command,
)
from consultation.models import Card, Participant
from tests import factories
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

JOIN = "/ateliers-en-direct/rejoindre/"


def board_url(session, **query) -> str:
    url = reverse("frontend:live_session", kwargs={"pk": session.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def card_url(session) -> str:
    return reverse("frontend:live_card_add", kwargs={"pk": session.pk})


def command(kind, **fields) -> dict:
    return {"type": kind, "id": str(uuid.uuid4()), **fields}


def add_card(participant, board, text="Curer les fossés avant l'hiver") -> Card:
    column = board.columns.first()
    result = run_command(participant, board, command("card.add", column=column.pk, text=text))
    return Card.objects.get(pk=result["result"]["card"]["id"])


def join_as_guest(client, session, nickname="Zoé", **extra):
    return client.post(JOIN, {"code": session.join_code, "nickname": nickname, **extra})


def drawn_card_id(page: str) -> str:
    return re.search(r'name="id" value="([0-9a-f-]{36})"', page).group(1)


@pytest.fixture
def host(live_session, facilitator):
    return resolve_participant(live_session, user=facilitator)


# --- joining ----------------------------------------------------------------------------------


def test_the_qr_code_link_fills_in_the_code(client, live_session):
    response = client.get(f"{JOIN}?code={live_session.join_code.lower()}")
    assert response.status_code == 200
    assert f'value="{live_session.join_code}"' in response.content.decode()


def test_a_guest_joins_with_a_nickname_and_lands_on_their_table(client, live_session, board):
    response = join_as_guest(client, live_session, email="zoe@exemple.fr")
    assert response.status_code == 302
    assert response["Location"] == board_url(live_session)
    guest = Participant.objects.get(nickname="Zoé")
    assert guest.email == "zoe@exemple.fr"
    assert client.session["live_participants"] == {str(live_session.pk): guest.pk}
    page = client.get(response["Location"]).content.decode()
    assert "Vous participez en tant que Zoé" in page
    assert "Plénière" in page


def test_the_code_may_be_typed_loosely(client, live_session):
    code = live_session.join_code
    response = join_as_guest(client, live_session, code=f" {code[:3].lower()}-{code[3:]} ")
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "ZZZZZZ", "nickname": "Zoé"}, "Aucune session ne correspond à ce code"),
        ({"code": "", "nickname": "Zoé"}, "Ce champ est obligatoire"),
        ({"code": "!!!", "nickname": "Zoé"}, "Saisissez le code affiché à l&#x27;écran"),
        ({"code": "CODE", "nickname": ""}, "Ce champ est obligatoire"),
        ({"code": "CODE", "nickname": "Z"}, "Pseudonyme"),
        ({"code": "CODE", "nickname": "Zoé", "email": "pas-une-adresse"}, "adresse électronique"),
    ],
)
def test_bad_join_input_is_refused_in_french_and_kept(client, live_session, data, message):
    data = {k: (live_session.join_code if v == "CODE" else v) for k, v in data.items()}
    response = client.post(JOIN, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "Votre envoi n’a pas été enregistré" in page
    if data.get("nickname"):
        assert f'value="{data["nickname"]}"' in page
    assert not Participant.objects.filter(user__isnull=True).exists()


def test_a_closed_session_cannot_be_joined(client, live_session, facilitator):
    close_session(facilitator, live_session)
    response = join_as_guest(client, live_session)
    assert response.status_code == 400
    assert "Cette session est terminée." in response.content.decode()


def test_a_session_for_account_holders_sends_guests_to_log_in(client, facilitator, workshop):
    session = open_session(facilitator, workshop, guests_allowed=False)
    response = join_as_guest(client, session)
    assert response.status_code == 400
    assert "réservée aux personnes connectées" in response.content.decode()


def test_a_resident_joins_under_their_name_without_a_nickname(client, resident, live_session):
    client.force_login(resident)
    page = client.get(JOIN).content.decode()
    assert 'name="nickname"' not in page
    assert "« Camille »" in page
    response = client.post(JOIN, {"code": live_session.join_code})
    assert response.status_code == 302
    assert Participant.objects.get(user=resident).nickname == "Camille"
    assert "live_participants" not in client.session


def test_joining_needs_the_csrf_token(live_session):
    client = Client(enforce_csrf_checks=True)
    response = join_as_guest(client, live_session)
    assert response.status_code == 403
    assert not Participant.objects.exists()


# --- who sees the board -----------------------------------------------------------------------


def test_someone_who_has_not_joined_is_sent_to_the_join_page(client, resident, live_session):
    assert client.get(board_url(live_session))["Location"] == JOIN
    client.force_login(resident)
    assert client.get(board_url(live_session))["Location"] == JOIN


def test_a_guest_of_one_session_does_not_see_another(client, live_session, facilitator, workshop):
    other = open_session(facilitator, workshop, title="Autre session")
    join_as_guest(client, live_session)
    response = client.get(board_url(other))
    assert response.status_code == 302
    assert response["Location"] == JOIN


def test_an_unknown_or_closed_session_answers_404(client, live_session, facilitator):
    unknown = reverse("frontend:live_session", kwargs={"pk": 999999})
    assert client.get(unknown).status_code == 404
    close_session(facilitator, live_session)
    assert client.get(board_url(live_session)).status_code == 404


def test_a_removed_guest_loses_the_board(client, live_session, board, host):
    join_as_guest(client, live_session)
    guest = Participant.objects.get(nickname="Zoé")
    run_command(host, board, command("participant.remove", participant=guest.pk))
    assert client.get(board_url(live_session))["Location"] == JOIN


def test_the_board_is_drawn_on_the_server_with_its_columns_and_cards(
    client, live_session, board, guest
):
    add_card(guest, board, "Des repères de crue dans chaque village")
    join_as_guest(client, live_session)
    page = client.get(board_url(live_session)).content.decode()
    for title in ("Constats", "Idées", "Actions"):
        assert title in page
    assert "Des repères de crue dans chaque village" in page
    assert "Camille" in page  # the author, outside anonymous mode
    assert 'data-ws="/ws/sessions/' in page
    assert "frontend/live/board.js" in page


def test_card_text_is_plain_text_on_every_page(client, live_session, board, guest, facilitator):
    add_card(guest, board, '<script>alert("x")</script><b>gras</b>')
    join_as_guest(client, live_session)
    pages = [client.get(board_url(live_session)).content.decode()]
    sign_in(client, facilitator)
    for name in ("live_console", "live_projection", "live_print"):
        url = reverse(f"frontend:{name}", kwargs={"pk": live_session.pk})
        pages.append(client.get(url).content.decode())
    for page in pages:
        assert '<script>alert("x")</script>' not in page
        assert "<b>gras</b>" not in page
        assert "&lt;script&gt;alert(" in page or "\\u003Cscript\\u003E" in page


def test_hidden_cards_are_not_drawn_for_participants_but_are_for_staff(
    client, live_session, board, guest, host, moderator
):
    card = add_card(guest, board, "Un message hors sujet")
    run_command(host, board, command("card.hide", card=card.pk, reason="off_topic"))
    join_as_guest(client, live_session)
    assert "Un message hors sujet" not in client.get(board_url(live_session)).content.decode()
    sign_in(client, moderator)
    page = client.get(board_url(live_session, table=board.pk)).content.decode()
    assert "Un message hors sujet" in page
    assert "Masquée" in page
    assert "Rétablir" in page


def test_anonymous_mode_hides_authors_from_participants(
    client, live_session, board, guest, host, facilitator
):
    add_card(guest, board, "Une idée sans nom")
    run_command(host, board, command("session.anonymous", anonymous=True))
    join_as_guest(client, live_session, nickname="Yanis")
    page = client.get(board_url(live_session)).content.decode()
    assert "Une idée sans nom" in page
    assert 'class="live-card__author">Camille' not in page
    sign_in(client, facilitator)
    console = client.get(reverse("frontend:live_console", kwargs={"pk": live_session.pk}))
    assert 'class="live-card__author">Camille' in console.content.decode()


def test_staff_choose_the_table_participants_cannot(client, facilitator, workshop):
    session = open_session(facilitator, workshop, tables=2)
    first, second = session.boards.all()
    join_as_guest(client, session)
    guest = Participant.objects.get(nickname="Zoé")
    other_table = second if guest.board == first else first
    page = client.get(board_url(session, table=other_table.pk)).content.decode()
    assert f'data-board="{guest.board_id}"' in page
    staff = Client()
    sign_in(staff, facilitator)
    page = staff.get(board_url(session, table=second.pk)).content.decode()
    assert f'data-board="{second.pk}"' in page
    assert staff.get(board_url(session, table=999999)).status_code == 404


def test_the_board_page_costs_a_fixed_number_of_queries(
    client, live_session, board, guest, django_assert_num_queries
):
    for n in range(5):
        add_card(guest, board, f"Carte {n}")
    join_as_guest(client, live_session)
    # live session, Django session, participant, their board, board + spotlight, dot counts,
    # cards, boards, columns, clusters, my dots, the session for the budget, the menu's
    # campaigns: none per card.
    with django_assert_num_queries(13):
        client.get(board_url(live_session))
    for n in range(20):
        add_card(guest, board, f"Encore {n}")
    with django_assert_num_queries(13):
        client.get(board_url(live_session))


# --- the card form without JavaScript ---------------------------------------------------------


def test_a_card_added_without_javascript_appears_once_even_if_sent_twice(
    client, live_session, board
):
    join_as_guest(client, live_session)
    page = client.get(board_url(live_session)).content.decode()
    data = {
        "id": drawn_card_id(page),
        "column": board.columns.first().pk,
        "text": "Un abri pour les bêtes",
    }
    first = client.post(card_url(live_session), data)
    second = client.post(card_url(live_session), data)
    assert first.status_code == second.status_code == 302
    assert Card.objects.filter(text="Un abri pour les bêtes").count() == 1
    page = client.get(first["Location"]).content.decode()
    assert "Votre carte est ajoutée au tableau." in page
    assert page.count('class="live-card__text">Un abri pour les bêtes<') == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x" * 501, "500 caractères"),
        ("", "Ce champ est obligatoire"),
        ("   ", "Ce champ est obligatoire"),
    ],
)
def test_a_bad_card_is_refused_and_the_text_kept(client, live_session, board, text, message):
    join_as_guest(client, live_session)
    data = {"id": str(uuid.uuid4()), "column": board.columns.first().pk, "text": text}
    response = client.post(card_url(live_session), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    if text.strip():
        assert text in page
    assert not Card.objects.exists()


def test_a_column_of_another_session_is_refused(client, live_session, facilitator, workshop):
    other = open_session(facilitator, workshop, title="Autre session")
    join_as_guest(client, live_session)
    data = {"id": str(uuid.uuid4()), "column": other.boards.get().columns.first().pk, "text": "Oh"}
    response = client.post(card_url(live_session), data)
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not Card.objects.exists()


def test_a_locked_board_refuses_the_card_and_says_why(client, live_session, board, host):
    run_command(host, board, command("session.lock"))
    join_as_guest(client, live_session)
    data = {"id": str(uuid.uuid4()), "column": board.columns.first().pk, "text": "Trop tard ?"}
    response = client.post(card_url(live_session), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "verrouillé" in page
    assert "Trop tard ?" in page
    assert not Card.objects.exists()


def test_the_card_form_needs_the_csrf_token(live_session, board):
    client = Client(enforce_csrf_checks=True)
    participant, _token = join_session(AnonymousUser(), live_session.join_code, nickname="Zoé")
    session = client.session
    session["live_participants"] = {str(live_session.pk): participant.pk}
    session.save()
    data = {"id": str(uuid.uuid4()), "column": board.columns.first().pk, "text": "Sans jeton"}
    assert client.post(card_url(live_session), data).status_code == 403
    assert not Card.objects.exists()


def test_someone_not_in_the_session_cannot_post_a_card(client, live_session, board, resident):
    data = {"id": str(uuid.uuid4()), "column": board.columns.first().pk, "text": "Intrus"}
    assert client.post(card_url(live_session), data).status_code == 404
    client.force_login(resident)
    assert client.post(card_url(live_session), data).status_code == 404
    assert not Card.objects.exists()


def test_the_workshop_page_invites_to_join_an_open_session(client, workshop, live_session):
    page = client.get(workshop.get_absolute_url()).content.decode()
    assert "est en cours" in page
    assert JOIN in page
    assert "Ouvrir une session en direct" not in page


def test_an_outsiders_campaign_session_is_not_reachable_by_its_staff(client, live_session):
    outsider = factories.UserFactory()
    other_campaign = factories.CampaignFactory()
    from consultation.models import CampaignRole

    CampaignRole.objects.create(
        campaign=other_campaign, user=outsider, role=CampaignRole.Role.FACILITATOR
    )
    sign_in(client, outsider)
    assert client.get(board_url(live_session))["Location"] == JOIN
