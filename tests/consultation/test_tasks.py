"""Notification emails (consultation/tasks.py) reach only addresses proven to be their
owner's: anyone can sign up with someone else's address."""

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.test import Client
from django.urls import reverse

from consultation.actions.answers import answer_contribution
from consultation.actions.boards import (
    join_session,
    promote_cards,
    resolve_participant,
    run_command,
)
from consultation.actions.follows import follow
from consultation.actions.merges import merge_contributions
from consultation.actions.moderation import Seen, moderate
from consultation.actions.workshops import cancel_registration, register
from consultation.models import Registration, Support, User
from tests import factories

pytestmark = pytest.mark.django_db

ANSWER = "Retenue : le syndicat mixte de la Canche l'inscrit au programme."


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_an_address_registered_by_someone_else_never_receives_the_official_answer(
    organiser, proposal, django_capture_on_commit_callbacks
):
    """The attack: someone signs up with victim@exemple.fr (not theirs), follows a
    contribution; the prefecture answers. Before, the answer was mailed to the victim."""
    intruder = Client()
    signup = {
        "email": "victim@exemple.fr",
        "display_name": "Quelqu'un",
        "password1": "une berge plantée de saules",
        "password2": "une berge plantée de saules",
        "consent": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert intruder.post(reverse("frontend:signup"), signup).status_code == 302
    follow_url = reverse(
        "frontend:follow", kwargs={"slug": proposal.campaign.slug, "pk": proposal.pk}
    )
    intruder.post(follow_url)
    assert proposal.follows.filter(user__email="victim@exemple.fr").exists()
    # The only mail the address got asks its owner to confirm it (and says to ignore it).
    assert [m.subject for m in mail.outbox] == ["Vérifiez votre adresse électronique"]
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        answer_contribution(organiser, proposal, status="accepted", body=ANSWER)

    assert recipients() == [proposal.author.email]  # the verified author still hears it
    assert "victim@exemple.fr" not in recipients()


def test_notifiable_accounts_are_active_undeleted_and_verified(
    resident, unverified_resident, other_resident
):
    other_resident.is_active = False
    other_resident.save()
    factories.UserFactory(email=None)
    assert list(User.objects.notifiable()) == [resident]


def test_an_unverified_author_or_follower_gets_no_official_answer(
    organiser, campaign, unverified_resident, resident, django_capture_on_commit_callbacks
):
    mine = factories.ContributionFactory(campaign=campaign, author=unverified_resident)
    follow(resident, mine)
    with django_capture_on_commit_callbacks(execute=True):
        answer_contribution(organiser, mine, status="accepted", body=ANSWER)
    assert recipients() == [resident.email]


def test_an_unverified_person_promoted_from_the_waiting_list_is_not_mailed(
    workshop, unverified_resident, django_capture_on_commit_callbacks
):
    first, second = factories.UserFactory.create_batch(2)
    register(first, workshop)
    register(second, workshop)
    assert register(unverified_resident, workshop).status == Registration.Status.WAITING
    with django_capture_on_commit_callbacks(execute=True):
        cancel_registration(first, workshop)
    assert Registration.objects.get(user=unverified_resident).status == "confirmed"
    assert not mail.outbox


def test_an_unverified_author_is_not_mailed_when_their_content_is_hidden(
    moderator, campaign, unverified_resident, django_capture_on_commit_callbacks
):
    mine = factories.ContributionFactory(campaign=campaign, author=unverified_resident)
    verified = factories.ContributionFactory(campaign=campaign)
    targets = [
        Seen(kind="contribution", id=c.pk, visibility=c.visibility) for c in (mine, verified)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        moderate(moderator, campaign, targets, action="hide", reason="spam")
    assert recipients() == [verified.author.email]


def test_an_unverified_supporter_or_author_is_not_mailed_of_a_merge(
    moderator, campaign, unverified_resident, resident, django_capture_on_commit_callbacks
):
    result = factories.ContributionFactory(campaign=campaign)
    copy = factories.ContributionFactory(campaign=campaign, author=unverified_resident)
    # Supported before verification became required: the row exists, the address is unproven.
    Support.objects.create(contribution=copy, user=factories.UserFactory(email_verified_at=None))
    Support.objects.create(contribution=copy, user=resident)
    with django_capture_on_commit_callbacks(execute=True):
        merge_contributions(moderator, campaign, result=result, merged=[copy])
    assert recipients() == [resident.email]


def test_a_workshop_participant_with_an_unverified_account_is_not_mailed(
    organiser, facilitator, live_session, unverified_resident, django_capture_on_commit_callbacks
):
    """Guests typed their address in the room and keep hearing what became of their card; a
    participant signed in with an unverified account is that account, and is not mailed."""
    board = live_session.boards.get()
    code = live_session.join_code
    guest, _ = join_session(AnonymousUser(), code, nickname="Inès", email="ines@example.org")
    account, _ = join_session(unverified_resident, code, email="sacha.atelier@example.org")
    cards = []
    for who in (guest, account):
        message = {
            "type": "card.add",
            "id": str(uuid.uuid4()),
            "column": board.columns.first().pk,
            "text": f"Constat de {who.nickname} sur les fossés",
        }
        cards.append(run_command(who, board, message)["result"]["card"]["id"])
    host = resolve_participant(live_session, user=facilitator)
    grouping = {"type": "cluster.create", "id": str(uuid.uuid4()), "name": "Fossés", "cards": cards}
    cluster = run_command(host, board, grouping)["result"]["cluster"]["id"]
    [made] = promote_cards(facilitator, live_session, clusters=[cluster])
    with django_capture_on_commit_callbacks(execute=True):
        answer_contribution(organiser, made, status="under_review", body="Le département étudie.")
    assert recipients() == ["ines@example.org"]
