"""Deleting an account and « Mes données » through the pages, live workshops included: what
the facilitator's console, exports, snapshots and the moderators' pages show afterwards, and
who is mailed."""

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from consultation.actions.answers import answer_contribution
from consultation.actions.boards import promote_cards, resolve_participant, run_command
from consultation.actions.moderation import report_content
from consultation.models import (
    BoardEvent,
    Card,
    CommandReceipt,
    Participant,
    Report,
)
from tests import factories
from tests.realtime.conftest import fresh_layer  # noqa: F401 (fixture)
from tests.realtime.sockets import Socket, login_cookie, new_id, run
from tests.staff import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_layer")]

NAME, NICKNAME, EMAIL = "Camille Martin", "Cam du quartier", "camille@exemple.fr"
PASSWORD = "mot-de-passe-solide-42"
DETAILS = "Signalé par Camille Martin, voisine du 12 rue des Prés"


@pytest.fixture
def person(db):
    return factories.UserFactory(display_name=NAME, email=EMAIL)


def browser(user=None) -> Client:
    client = Client()
    if user is not None:
        sign_in(client, user)  # staff pass their second factor, residents just log in
    return client


def join(client, session, **fields) -> Participant:
    response = client.post(reverse("frontend:live_join"), {"code": session.join_code, **fields})
    assert response.status_code == 302, response.content.decode()
    return Participant.objects.order_by("-id").first()


def add_card(participant, board, text) -> Card:
    column = board.columns.order_by("position").first()
    command = {"type": "card.add", "id": new_id(), "column": column.pk, "text": text}
    result = run_command(participant, board, command)
    return Card.objects.get(pk=result["result"]["card"]["id"])


def traces(text: str) -> list[str]:
    return [trace for trace in (NAME, NICKNAME, EMAIL, "Camille@Exemple.fr") if trace in text]


def test_a_deleted_account_leaves_no_name_nor_email_in_the_live_workshop(
    person, live_session, board, facilitator, moderator, organiser, campaign, proposal, mailoutbox
):
    # Replays the review: the person joins logged in (leaving their address) and from their
    # phone as a guest with the same address, writes cards, reports a contribution, deletes
    # the account. Before, the console, CSV and snapshot still named them, and the official
    # answer to a contribution made from their cards was mailed to the address.
    laptop = browser(person)
    account = join(laptop, live_session, email=EMAIL)
    phone = join(browser(), live_session, nickname=NICKNAME, email="Camille@Exemple.fr")
    assert account.nickname == NAME and phone.user is None
    written = [add_card(account, board, "Des bancs à l'ombre"), add_card(phone, board, "Un abri")]
    host = resolve_participant(live_session, user=facilitator)
    column = board.columns.order_by("position").last().pk
    run_command(host, board, {"type": "card.move", "id": new_id(), "card": written[0].pk,
                              "column": column})  # fmt: skip
    run_command(host, board, {"type": "session.step", "id": new_id(), "step": "vote"})
    run_command(phone, board, {"type": "dot.add", "id": new_id(), "card": written[0].pk})
    report_content(person, proposal, reason="spam", details=DETAILS)
    promoted = promote_cards(facilitator, live_session, cards=[c.pk for c in written])
    assert len(promoted) == 2

    response = laptop.post(reverse("frontend:account_delete"), {"password": PASSWORD})
    assert response.status_code == 302

    staff = browser(facilitator)
    for name in ("live_console", "live_projection", "live_print", "live_export"):
        page = staff.get(reverse(f"frontend:{name}", kwargs={"pk": live_session.pk}))
        assert page.status_code == 200, name
        assert traces(page.content.decode("utf-8")) == [], name
    rows = list(
        csv.DictReader(
            io.StringIO(
                staff.get(reverse("frontend:live_export", kwargs={"pk": live_session.pk}))
                .content.decode("utf-8")
                .lstrip("\ufeff")
            ),
            delimiter=";",
        )
    )
    assert {row["Auteur·rice"] for row in rows} == {"Participant·e supprimé·e"}
    assert len(rows) == 2  # the cards stay
    stored = [*BoardEvent.objects.values_list("staff", "participant")]
    stored += [*CommandReceipt.objects.values_list("result", flat=True)]
    for item in stored:
        assert traces(json.dumps(item, ensure_ascii=False)) == [], item
    assert set(Participant.objects.values_list("email", flat=True)) == {""}

    cookie = login_cookie(facilitator)

    async def console_socket():
        socket = Socket(board, cookie=cookie)
        snapshot, _ready = await socket.join()
        await socket.send({"type": "hello", "protocol": 1, "last_seq": 0})
        replayed = await socket.until("ready")  # the event log, as a reconnecting client gets it
        await socket.leave()
        return snapshot, replayed

    snapshot, replayed = run(console_socket)
    assert {c["author"]["name"] for c in snapshot["cards"]} == {"Participant·e supprimé·e"}
    assert "Participant·e supprimé·e" in {p["name"] for p in snapshot["participants"]}
    assert traces(json.dumps([snapshot, replayed], ensure_ascii=False)) == []

    # Reports still count for the moderators, without the reporter's own words.
    report = Report.objects.get()
    assert report.reporter_id == person.pk and report.details == ""
    queue = browser(moderator).get(reverse("frontend:moderation", kwargs={"slug": campaign.slug}))
    assert traces(queue.content.decode()) == []

    mailoutbox.clear()
    for contribution in promoted:
        answer_contribution(
            organiser,
            contribution,
            status="accepted",
            body="La commune installera des bancs cet été.",
        )
    assert [m.to for m in mailoutbox if EMAIL in [a.lower() for a in m.to]] == []


def test_mes_donnees_includes_the_guest_this_browser_joined_as(person, live_session, board):
    laptop = browser()
    phone_guest = join(laptop, live_session, nickname=NICKNAME)
    add_card(phone_guest, board, "Un abri à vélos")
    laptop.force_login(person)  # logging in keeps the session's guests
    response = laptop.get(reverse("frontend:account_data"))
    assert response.status_code == 200
    [live] = response.json()["ateliers_en_direct"]
    assert live["pseudonyme"] == NICKNAME and live["avec_le_compte"] is False
    assert [card["texte"] for card in live["cartes"]] == ["Un abri à vélos"]
    # Another browser's guest is not theirs.
    assert browser(person).get(reverse("frontend:account_data")).json()["ateliers_en_direct"] == []


def test_a_wrong_password_deletes_nothing(person, live_session):
    laptop = browser(person)
    join(laptop, live_session, email=EMAIL)
    response = laptop.post(reverse("frontend:account_delete"), {"password": "pas le bon"})
    assert response.status_code == 400
    assert "Mot de passe incorrect" in response.content.decode()
    assert Participant.objects.get(user=person).nickname == NAME


def test_the_privacy_page_says_what_deletion_and_the_download_cover(client):
    page = client.get(reverse("frontend:personal_data")).content.decode()
    assert "vos participations aux ateliers en direct" in page
    assert "plus aucun courriel n'est envoyé à cette adresse" in page
