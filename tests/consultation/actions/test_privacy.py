"""« Mes données » and account deletion: every place the platform holds something about a
person, live workshops, reports and external identities included."""

import json

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework.authtoken.models import Token

from consultation.actions.boards import join_session, resolve_participant, run_command
from consultation.actions.moderation import Seen, moderate, report_content
from consultation.actions.privacy import delete_account, export_personal_data
from consultation.models import ExternalIdentity, Participant, Report
from tests.realtime.conftest import fresh_layer  # noqa: F401 (fixture)
from tests.realtime.sockets import Socket, db, login_cookie, new_id, run

EMAIL = "camille@exemple.fr"  # the resident persona's


def add_card(participant, board, text):
    column = board.columns.order_by("position").first()
    command = {"type": "card.add", "id": new_id(), "column": column.pk, "text": text}
    return run_command(participant, board, command)["result"]["card"]["id"]


def guest(session, nickname, email=""):
    participant, _token = join_session(
        AnonymousUser(), session.join_code, nickname=nickname, email=email
    )
    return participant


@pytest.fixture
def live_person(resident, live_session, board, facilitator):
    """The resident in a live session with their account (address left), as a guest from this
    browser, and a stranger's guest; cards and dots on the board."""
    account, _ = join_session(resident, live_session.join_code, email=EMAIL)
    phone = guest(live_session, "Cam au téléphone")
    stranger = guest(live_session, "Lou", email="lou@exemple.fr")
    cards = [add_card(account, board, "Des bancs"), add_card(phone, board, "Un abri")]
    add_card(stranger, board, "Une fontaine")
    host = resolve_participant(live_session, user=facilitator)
    run_command(host, board, {"type": "session.step", "id": new_id(), "step": "vote"})
    for card in (cards[0], cards[0], cards[1]):
        run_command(account, board, {"type": "dot.add", "id": new_id(), "card": card})
    return account, phone, stranger


def test_the_export_holds_live_participations_with_cards_and_dots(live_person, resident):
    account, phone, stranger = live_person
    data = export_personal_data(resident, guest_ids=[phone.pk])
    live = data["ateliers_en_direct"]
    assert [p["pseudonyme"] for p in live] == ["Camille", "Cam au téléphone"]
    first = live[0]
    assert first["session"] == "Atelier en direct de Béthune"
    assert first["atelier"] == account.session.workshop.title
    assert first["adresse_laissee"] == EMAIL and first["avec_le_compte"] is True
    assert [c["texte"] for c in first["cartes"]] == ["Des bancs"]
    assert first["cartes"][0]["creee_le"]
    assert sorted((d["texte"], d["nombre"]) for d in first["gommettes"]) == [
        ("Des bancs", 2),
        ("Un abri", 1),
    ]
    assert live[1]["cartes"][0]["texte"] == "Un abri"
    assert "Lou" not in json.dumps(data) and "Une fontaine" not in json.dumps(data)


def test_the_export_holds_names_identities_and_reports(
    resident, other_resident, campaign, proposal, moderator
):
    resident.given_name, resident.family_name = "Camille", "Martin"
    resident.pending_email = "camille.martin@exemple.fr"
    resident.save()
    ExternalIdentity.objects.create(
        user=resident, provider="franceconnect", subject="sub-secret-123"
    )
    report_content(resident, proposal, reason="spam", details="Un lien vers une boutique")
    mine = proposal.__class__.objects.create(
        campaign=campaign, author=resident, kind="proposal", title="Curer", body="Les fossés."
    )
    moderate(
        moderator,
        campaign,
        [Seen("contribution", mine.pk, mine.visibility)],
        action="hide",
        reason="off_topic",
        note="Note interne : déjà vu",
    )
    token = Token.objects.create(user=resident)
    data = export_personal_data(resident)
    assert data["jeton_api_cree_le"] == token.created.isoformat()
    assert token.key not in json.dumps(data)  # that it exists, not the secret
    assert data["compte"]["prenom"] == "Camille" and data["compte"]["nom_de_famille"] == "Martin"
    assert data["compte"]["nouvelle_adresse_a_verifier"] == "camille.martin@exemple.fr"
    assert data["identites_externes"][0]["fournisseur"] == "FranceConnect"
    assert "sub-secret-123" not in json.dumps(data)  # an identifier of theirs, never shown
    [report] = data["signalements"]
    assert report["contenu"] == {"type": "contribution", "id": proposal.pk}
    assert report["motif"] == "spam" and report["precisions"] == "Un lien vers une boutique"
    [contribution] = data["contributions"]
    assert contribution["motif_de_masquage"] == "Hors sujet"
    assert "Note interne" not in json.dumps(data, ensure_ascii=False)
    assert "dominique@exemple.fr" not in json.dumps(data)


def test_a_guest_who_only_left_the_persons_address_is_exported_as_that_fact(
    resident, live_session, board
):
    typed = guest(live_session, "Quelqu'un d'autre", email="Camille@Exemple.fr")
    add_card(typed, board, "Une carte d'une autre personne")
    [entry] = export_personal_data(resident)["ateliers_en_direct"]
    assert entry["adresse_laissee"] == "Camille@Exemple.fr"
    assert "pseudonyme" not in entry and "cartes" not in entry


@pytest.mark.parametrize(
    "forged", [["12"], [None], [10**30], ["abc", 3.5]], ids=["text", "none", "huge", "junk"]
)
def test_forged_guest_ids_export_nothing_of_anyone(
    resident, other_resident, live_session, board, forged
):
    theirs, _ = join_session(other_resident, live_session.join_code)
    add_card(theirs, board, "La carte de Dominique")
    data = export_personal_data(resident, guest_ids=[*forged, theirs.pk])
    assert data["ateliers_en_direct"] == []  # an account's participant is never a kept guest


def test_deletion_anonymises_every_live_participant_of_the_person(live_person, resident):
    account, phone, stranger = live_person
    typed = guest(account.session, "Cam sur la tablette", email="CAMILLE@exemple.fr")
    delete_account(resident, guest_ids=[phone.pk])
    for mine in (account, phone, typed):
        mine.refresh_from_db()
        assert (mine.nickname, mine.email) == ("Participant·e supprimé·e", "")
    stranger.refresh_from_db()
    assert (stranger.nickname, stranger.email) == ("Lou", "lou@exemple.fr")
    assert account.cards.count() == 1 and account.dots.count() == 3  # still counted


def test_deletion_erases_the_address_another_account_typed(resident, other_resident, live_session):
    theirs, _ = join_session(other_resident, live_session.join_code, email=EMAIL)
    delete_account(resident)
    theirs.refresh_from_db()
    assert theirs.email == "" and theirs.nickname == "Dominique"  # their own name stays


def test_deletion_erases_names_identities_and_report_details_and_keeps_counts(
    resident, campaign, proposal, admin_user
):
    admin = admin_user
    resident.given_name, resident.family_name = "Camille", "Martin"
    resident.pending_email = "camille.martin@exemple.fr"
    resident.email_verified_at = timezone.now()
    resident.save()
    ExternalIdentity.objects.create(user=resident, provider="proconnect", subject="s", siret="1")
    report_content(resident, proposal, reason="insulting", details="Signé Camille Martin")
    LogEntry.objects.log_actions(
        admin.pk, [resident], CHANGE, change_message="Code postal", single_object=True
    )
    delete_account(resident)
    assert LogEntry.objects.get().object_repr == "Participant·e supprimé·e"
    resident.refresh_from_db()
    assert (resident.given_name, resident.family_name, resident.pending_email) == ("", "", "")
    assert resident.email_verified_at is None and not resident.has_verified_email
    assert not ExternalIdentity.objects.exists()
    report = Report.objects.get()
    assert (report.reason, report.details, report.contribution) == ("insulting", "", proposal)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_layer")
def test_the_deleted_persons_open_board_socket_is_closed(resident, live_session, board):
    join_session(resident, live_session.join_code)
    cookie = login_cookie(resident)

    async def scenario():
        socket = Socket(board, cookie=cookie)
        await socket.join()
        await db(delete_account, resident)
        return await socket.closed_with()

    assert run(scenario) == 4403
    assert Participant.objects.get(user=resident).nickname == "Participant·e supprimé·e"
