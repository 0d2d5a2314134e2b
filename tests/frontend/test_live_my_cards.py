"""A participant's own moves on the board without JavaScript: edit and delete their card, add and
remove dots. Plain forms posted to live_my_card, the same commands and checks as the websocket."""

import html
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from consultation.actions.boards import close_session, join_session, open_session, run_command
from consultation.models import Card, DotVote, Participant
from tests.staff import sign_in

pytestmark = pytest.mark.django_db


def command(kind, **fields) -> dict:
    return {"type": kind, "id": str(uuid.uuid4()), **fields}


def my_card_url(session) -> str:
    return reverse("frontend:live_my_card", kwargs={"pk": session.pk})


def board_url(session) -> str:
    return reverse("frontend:live_session", kwargs={"pk": session.pk})


def add_card(participant, board, text) -> Card:
    column = board.columns.first()
    result = run_command(participant, board, command("card.add", column=column.pk, text=text))
    return Card.objects.get(pk=result["result"]["card"]["id"])


@pytest.fixture
def zoe(client, live_session):
    """The guest behind `client`, joined through the join page."""
    client.post(
        "/ateliers-en-direct/rejoindre/", {"code": live_session.join_code, "nickname": "Zoé"}
    )
    return Participant.objects.get(session=live_session, nickname="Zoé")


@pytest.fixture
def host(live_session, facilitator):
    from consultation.actions.boards import resolve_participant

    return resolve_participant(live_session, user=facilitator)


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def post(client, session, kind, card, **fields):
    data = {"type": kind, "page": str(uuid.uuid4()), "card": card, **fields}
    return client.post(my_card_url(session), data)


# --- editing and deleting one's own card -------------------------------------------------------


def test_only_ones_own_cards_offer_edit_and_delete(client, live_session, board, zoe, guest):
    mine = add_card(zoe, board, "Curer les fossés")
    theirs = add_card(guest, board, "Planter des haies")
    page = client.get(board_url(live_session)).content.decode()
    assert f'id="modifier-{mine.pk}"' in page
    assert f'id="modifier-{theirs.pk}"' not in page
    assert page.count("Supprimer ma carte") == 1
    assert 'Modifier ou supprimer<span class="fr-sr-only"> « Curer les fossés »' in page


def test_a_participant_edits_their_card_without_javascript(client, live_session, board, zoe):
    card = add_card(zoe, board, "Curer les fossés")
    response = post(client, live_session, "card.edit", card.pk, text="Curer les fossés en mars")
    assert response.status_code == 302
    assert response["Location"] == f"{board_url(live_session)}#carte-{card.pk}"
    card.refresh_from_db()
    assert card.text == "Curer les fossés en mars"
    page = client.get(response["Location"]).content.decode()
    assert "Votre carte est modifiée." in page
    assert 'class="live-card__text">Curer les fossés en mars<' in page


def test_a_participant_deletes_their_card_without_javascript(client, live_session, board, zoe):
    card = add_card(zoe, board, "Une carte de trop")
    response = post(client, live_session, "card.delete", card.pk)
    assert response.status_code == 302
    assert response["Location"] == board_url(live_session)
    card.refresh_from_db()
    assert card.deleted
    page = client.get(response["Location"]).content.decode()
    assert "Votre carte est supprimée." in page
    assert "Une carte de trop" not in page


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Ce champ est obligatoire."),
        ("x" * 501, "500 caractères"),
    ],
)
def test_a_bad_edit_is_refused_on_the_card_and_the_text_kept(
    client, live_session, board, zoe, text, message
):
    card = add_card(zoe, board, "Curer les fossés")
    response = post(client, live_session, "card.edit", card.pk, text=text)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert f'<p class="fr-error-text fr-mt-0" id="probleme-carte-{card.pk}">' in page
    if text:
        assert f">{text}</textarea>" in page
    card.refresh_from_db()
    assert card.text == "Curer les fossés"


def test_markup_typed_in_an_edit_is_stored_as_text_and_shown_escaped(
    client, live_session, board, zoe
):
    card = add_card(zoe, board, "Curer les fossés")
    post(client, live_session, "card.edit", card.pk, text="<script>alert(1)</script> Curer")
    card.refresh_from_db()
    assert card.text == "<script>alert(1)</script> Curer"
    page = client.get(board_url(live_session)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Curer" in page


def test_someone_elses_card_cannot_be_edited_or_deleted(client, live_session, board, zoe, guest):
    theirs = add_card(guest, board, "Planter des haies")
    for kind, fields in (("card.edit", {"text": "Détourné"}), ("card.delete", {})):
        response = post(client, live_session, kind, theirs.pk, **fields)
        assert response.status_code == 400
        assert "Vous ne pouvez modifier que vos propres cartes." in text_of(response)
    theirs.refresh_from_db()
    assert (theirs.text, theirs.deleted) == ("Planter des haies", False)


def test_a_locked_board_refuses_the_edit_says_why_and_keeps_the_text(
    client, live_session, board, zoe, host
):
    card = add_card(zoe, board, "Curer les fossés")
    run_command(host, board, command("session.lock"))
    response = post(client, live_session, "card.edit", card.pk, text="Curer les fossés en mars")
    assert response.status_code == 400
    page = response.content.decode()
    assert "verrouillé" in page
    assert ">Curer les fossés en mars</textarea>" in page
    card.refresh_from_db()
    assert card.text == "Curer les fossés"


def test_a_card_of_another_session_is_not_found(client, live_session, zoe, facilitator, workshop):
    other = open_session(facilitator, workshop, title="Autre session")
    stranger, _token = join_session(AnonymousUser(), other.join_code, nickname="Léo")
    elsewhere = add_card(stranger, other.boards.get(), "Ailleurs")
    response = post(client, live_session, "card.delete", elsewhere.pk)
    assert response.status_code == 400
    assert "Cette carte n'existe pas sur ce tableau." in text_of(response)
    elsewhere.refresh_from_db()
    assert not elsewhere.deleted


# --- dots --------------------------------------------------------------------------------------


def test_dot_buttons_appear_at_the_vote_step_only(client, live_session, board, zoe, guest, host):
    add_card(guest, board, "Planter des haies")
    page = client.get(board_url(live_session)).content.decode()
    assert "Ajouter une gommette « Planter des haies »" not in page
    run_command(host, board, command("session.step", step="vote"))
    page = client.get(board_url(live_session)).content.decode()
    assert "Ajouter une gommette « Planter des haies »" in page
    assert "Gommettes restantes : 5" in page


def test_a_participant_places_and_removes_dots_without_javascript(
    client, live_session, board, zoe, guest, host
):
    card = add_card(guest, board, "Planter des haies")
    run_command(host, board, command("session.step", step="vote"))
    for _ in range(2):
        response = post(client, live_session, "dot.add", card.pk)
        assert response.status_code == 302
        assert response["Location"].endswith(f"#carte-{card.pk}")
    assert DotVote.objects.filter(participant=zoe, card=card).count() == 2
    page = client.get(board_url(live_session)).content.decode()
    assert "Gommette ajoutée." in page
    assert "Gommettes restantes : 3" in page
    assert '<span class="live-card__my-dots">2<' in page
    assert post(client, live_session, "dot.remove", card.pk).status_code == 302
    assert DotVote.objects.filter(participant=zoe, card=card).count() == 1


def test_the_same_page_sent_twice_places_one_dot(client, live_session, board, zoe, guest, host):
    card = add_card(guest, board, "Planter des haies")
    run_command(host, board, command("session.step", step="vote"))
    data = {"type": "dot.add", "page": str(uuid.uuid4()), "card": card.pk}
    assert client.post(my_card_url(live_session), data).status_code == 302
    assert client.post(my_card_url(live_session), data).status_code == 302
    assert DotVote.objects.filter(participant=zoe).count() == 1


def test_dots_are_refused_outside_the_vote_step_and_beyond_the_budget(
    client, live_session, board, zoe, guest, host
):
    card = add_card(guest, board, "Planter des haies")
    response = post(client, live_session, "dot.add", card.pk)
    assert response.status_code == 400
    assert "Le vote par gommettes n'est pas ouvert à cette étape." in text_of(response)
    run_command(host, board, command("session.step", step="vote"))
    for _ in range(live_session.dot_budget):
        assert post(client, live_session, "dot.add", card.pk).status_code == 302
    response = post(client, live_session, "dot.add", card.pk)
    assert response.status_code == 400
    page = text_of(response)
    assert f"Vous avez déjà placé vos {live_session.dot_budget} gommettes." in page
    assert DotVote.objects.filter(participant=zoe).count() == live_session.dot_budget


# --- bad input, rights --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "card.hide", "card": "1", "reason": "off_topic"}, "Sélectionnez un choix valide"),
        ({"type": "session.lock", "card": "1"}, "Sélectionnez un choix valide"),
        ({"type": "dot.add", "card": "abc"}, "Saisissez un nombre entier."),
        ({"type": "dot.add", "card": "0"}, "supérieure ou égale à 1"),
        ({"type": "dot.add"}, "Ce champ est obligatoire."),
        ({"card": "1"}, "Ce champ est obligatoire."),
        ({"type": "dot.add", "card": "999999"}, "Cette carte n'existe pas sur ce tableau."),
    ],
)
def test_bad_input_is_refused_in_french_and_changes_nothing(
    client, live_session, board, zoe, guest, host, data, message
):
    card = add_card(guest, board, "Planter des haies")
    run_command(host, board, command("session.step", step="vote"))
    data = {"page": str(uuid.uuid4()), **data}
    if data.get("card") == "1":
        data["card"] = str(card.pk)
    response = client.post(my_card_url(live_session), data)
    assert response.status_code == 400
    assert message in text_of(response)
    card.refresh_from_db()
    assert not card.hidden and not card.deleted
    assert not DotVote.objects.exists()


def test_a_form_without_its_page_key_is_refused(client, live_session, board, zoe, guest, host):
    card = add_card(guest, board, "Planter des haies")
    run_command(host, board, command("session.step", step="vote"))
    response = client.post(my_card_url(live_session), {"type": "dot.add", "card": card.pk})
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.content.decode()
    assert not DotVote.objects.exists()


def test_the_forms_need_the_csrf_token(live_session, board, guest):
    card = add_card(guest, board, "Planter des haies")
    client = Client(enforce_csrf_checks=True)
    session = client.session
    session["live_participants"] = {str(live_session.pk): guest.pk}
    session.save()
    assert post(client, live_session, "card.delete", card.pk).status_code == 403
    card.refresh_from_db()
    assert not card.deleted


def test_someone_not_in_the_session_gets_404(client, live_session, board, guest, resident):
    card = add_card(guest, board, "Planter des haies")
    assert post(client, live_session, "card.delete", card.pk).status_code == 404
    client.force_login(resident)
    assert post(client, live_session, "card.delete", card.pk).status_code == 404
    card.refresh_from_db()
    assert not card.deleted


def test_a_closed_session_shows_no_form_and_refuses_the_post(
    client, live_session, board, zoe, facilitator
):
    card = add_card(zoe, board, "Curer les fossés")
    close_session(facilitator, live_session)
    page = client.get(board_url(live_session)).content.decode()
    assert "Supprimer ma carte" not in page
    response = post(client, live_session, "card.delete", card.pk)
    assert response.status_code == 400
    card.refresh_from_db()
    assert not card.deleted


def test_the_board_page_costs_the_same_queries_with_the_forms(
    client, live_session, board, zoe, host, django_assert_num_queries
):
    for n in range(3):
        add_card(zoe, board, f"Carte {n}")
    run_command(host, board, command("session.step", step="vote"))
    with django_assert_num_queries(13):
        client.get(board_url(live_session))
    run_command(host, board, command("session.step", step="divergence"))
    for n in range(15):
        add_card(zoe, board, f"Encore {n}")
    run_command(host, board, command("session.step", step="vote"))
    with django_assert_num_queries(13):
        client.get(board_url(live_session))


def test_staff_at_a_table_edit_their_card_and_come_back_to_that_table(
    client, live_session, board, host, facilitator
):
    card = add_card(host, board, "Note de l'animatrice")
    sign_in(client, facilitator)
    page = client.get(f"{board_url(live_session)}?table={board.pk}").content.decode()
    action = f"{my_card_url(live_session)}?table={board.pk}"
    assert f'action="{action}"' in page
    data = {"type": "card.edit", "page": str(uuid.uuid4()), "card": card.pk, "text": "Note revue"}
    response = client.post(action, data)
    assert response.status_code == 302
    assert response["Location"] == f"{board_url(live_session)}?table={board.pk}#carte-{card.pk}"
    card.refresh_from_db()
    assert card.text == "Note revue"


def test_past_the_writing_steps_the_card_form_gives_way_to_a_note(
    client, live_session, board, zoe, host, facilitator
):
    page = client.get(board_url(live_session)).content.decode()
    assert '<section class="live-add fr-mb-3w" aria-labelledby="titre-ajout" data-live-add>' in page
    run_command(host, board, command("session.step", step="vote"))
    page = client.get(board_url(live_session)).content.decode()
    assert "data-live-add hidden>" in page
    assert "data-live-add-closed>" in page
    # Staff add cards at any step: their form stays.
    staff = Client()
    sign_in(staff, facilitator)
    page = staff.get(f"{board_url(live_session)}?table={board.pk}").content.decode()
    assert "data-live-add>" in page
    assert "data-live-add-closed hidden>" in page


# --- rate limits --------------------------------------------------------------------------------


def test_joining_is_limited_per_address_and_says_so_in_french(client, live_session, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "live_join": "2/m"}
    for nickname in ("Anne", "Bruno"):
        response = Client().post(
            "/ateliers-en-direct/rejoindre/", {"code": live_session.join_code, "nickname": nickname}
        )
        assert response.status_code == 302
    response = client.post(
        "/ateliers-en-direct/rejoindre/", {"code": live_session.join_code, "nickname": "Chloé"}
    )
    assert response.status_code == 429
    page = text_of(response)
    assert "Trop de demandes en peu de temps" in page
    assert 'value="Chloé"' in page  # what was typed stays in the form
    assert not Participant.objects.filter(nickname="Chloé").exists()
    # Guessing codes counts too: a wrong code is one more attempt.
    response = client.post("/ateliers-en-direct/rejoindre/", {"code": "ZZZZZZ", "nickname": "Eve"})
    assert response.status_code == 429


def test_cards_sent_without_javascript_are_limited_per_participant(
    client, live_session, board, zoe, guest, host, settings
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "live_card": "2/m"}
    column = board.columns.first().pk
    for n in range(2):
        data = {"id": str(uuid.uuid4()), "column": column, "text": f"Carte {n}"}
        assert (
            client.post(reverse("frontend:live_card_add", args=[live_session.pk]), data).status_code
            == 302
        )
    data = {"id": str(uuid.uuid4()), "column": column, "text": "Une carte de trop vite"}
    response = client.post(reverse("frontend:live_card_add", args=[live_session.pk]), data)
    assert response.status_code == 429
    page = text_of(response)
    assert "Trop de demandes en peu de temps" in page
    assert "Une carte de trop vite</textarea>" in page
    assert Card.objects.filter(author=zoe).count() == 2
    # The card moves share the limit: the next edit waits too, its text kept on the card.
    card = Card.objects.filter(author=zoe).first()
    response = post(client, live_session, "card.edit", card.pk, text="Texte revu")
    assert response.status_code == 429
    assert ">Texte revu</textarea>" in text_of(response)
    card.refresh_from_db()
    assert card.text.startswith("Carte")
    # Someone else has their own count.
    other = Client()
    other.post(
        "/ateliers-en-direct/rejoindre/", {"code": live_session.join_code, "nickname": "Yves"}
    )
    data = {"id": str(uuid.uuid4()), "column": column, "text": "Carte d'Yves"}
    assert (
        other.post(reverse("frontend:live_card_add", args=[live_session.pk]), data).status_code
        == 302
    )


# --- joining again from the same browser ------------------------------------------------------


def test_joining_again_from_the_same_browser_keeps_the_same_participant(
    client, live_session, board, zoe, guest, host
):
    mine = add_card(zoe, board, "Curer les fossés")
    run_command(host, board, command("session.step", step="vote"))
    theirs = add_card(host, board, "Planter des haies")
    post(client, live_session, "dot.add", theirs.pk)
    response = client.post(
        "/ateliers-en-direct/rejoindre/", {"code": live_session.join_code, "nickname": "Zoé 2"}
    )
    assert response.status_code == 302
    assert Participant.objects.filter(session=live_session, user__isnull=True).count() == 2
    page = client.get(board_url(live_session)).content.decode()
    assert "Vous participez en tant que Zoé" in page
    assert f'id="modifier-{mine.pk}"' in page  # still their card
    assert "Gommettes restantes : 4" in page  # no fresh budget


def test_a_removed_guest_cannot_come_back_from_the_same_browser(
    client, live_session, board, zoe, host
):
    run_command(host, board, command("participant.remove", participant=zoe.pk))
    response = client.post(
        "/ateliers-en-direct/rejoindre/", {"code": live_session.join_code, "nickname": "Zoé"}
    )
    assert response.status_code == 400
    assert "vous a retiré·e de cette session" in text_of(response)
    assert Participant.objects.filter(session=live_session, removed_at__isnull=True).count() == 1


def test_scanning_the_qr_code_again_goes_straight_to_ones_board(client, live_session, zoe):
    url = f"/ateliers-en-direct/rejoindre/?code={live_session.join_code.lower()}"
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == board_url(live_session)
    assert "Vous participez déjà à cet atelier" in text_of(client.get(response["Location"]))
    # Someone else still gets the form, and so does a code of no open session.
    assert Client().get(url).status_code == 200
    assert client.get("/ateliers-en-direct/rejoindre/?code=ZZZZZZ").status_code == 200
