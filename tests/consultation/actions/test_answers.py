import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail

from consultation.actions.answers import answer_contribution, answer_topic
from consultation.actions.boards import (
    join_session,
    promote_cards,
    resolve_participant,
    run_command,
)
from consultation.actions.follows import follow
from consultation.errors import ActionRefused, PermissionRefused
from consultation.models import OfficialAnswer, Topic
from tests import factories


def test_an_answer_emails_the_author_and_followers_after_commit(
    organiser, proposal, resident, django_capture_on_commit_callbacks
):
    follow(resident, proposal)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer_contribution(
            organiser,
            proposal,
            status="accepted",
            body="Retenue : le syndicat mixte de la Canche l'inscrit au PAPI.",
        )
    assert not mail.outbox  # nothing is sent before the commit
    for callback in callbacks:
        callback()
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([proposal.author.email, resident.email])
    assert "Retenue" in mail.outbox[0].body


def test_a_rewrite_keeps_one_answer_and_its_history(organiser, proposal):
    answer_contribution(organiser, proposal, status="under_review", body="Nous étudions cela.")
    answer = answer_contribution(
        organiser,
        proposal,
        status="rejected",
        body="Non retenue : la zone est classée rouge au PPRI.",
    )
    assert OfficialAnswer.objects.count() == 1
    assert [h.status for h in answer.history.order_by("history_date")] == [
        "under_review",
        "rejected",
    ]


def test_deleted_or_inactive_people_are_not_emailed(
    organiser, proposal, django_capture_on_commit_callbacks
):
    proposal.author.is_active = False
    proposal.author.save()
    with django_capture_on_commit_callbacks(execute=True):
        answer_contribution(organiser, proposal, status="accepted", body="C'est retenu, merci.")
    assert not mail.outbox


@pytest.mark.parametrize(("status", "body"), [("maybe", "Un texte assez long."), ("accepted", "")])
def test_it_rejects_bad_answers(organiser, proposal, status, body):
    with pytest.raises(ActionRefused):
        answer_contribution(organiser, proposal, status=status, body=body)
    assert not OfficialAnswer.objects.exists()


def test_only_organisers_of_that_campaign_answer(resident, moderator, proposal):
    for person in (resident, moderator, factories.UserFactory(is_staff=True)):
        with pytest.raises(PermissionRefused, match="équipe organisatrice"):
            answer_contribution(person, proposal, status="accepted", body="Réponse officielle.")
    assert not OfficialAnswer.objects.exists()


def add_card(participant, board, text):
    message = {
        "type": "card.add",
        "id": str(uuid.uuid4()),
        "column": board.columns.first().pk,
        "text": text,
    }
    return run_command(participant, board, message)["result"]["card"]["id"]


@pytest.mark.django_db(transaction=True)
def test_workshop_participants_who_left_an_email_hear_the_answer(
    organiser, facilitator, live_session
):
    board = live_session.boards.get()
    code = live_session.join_code
    with_email, _ = join_session(AnonymousUser(), code, nickname="Inès", email="ines@example.org")
    without, _ = join_session(AnonymousUser(), code, nickname="Paul")
    cards = [add_card(who, board, f"Constat de {who.nickname} sur les fossés")
             for who in (with_email, without)]  # fmt: skip
    host = resolve_participant(live_session, user=facilitator)
    grouping = {"type": "cluster.create", "id": str(uuid.uuid4()), "name": "Fossés", "cards": cards}
    cluster = run_command(host, board, grouping)["result"]["cluster"]["id"]
    [made] = promote_cards(facilitator, live_session, clusters=[cluster])
    answer_contribution(organiser, made, status="under_review", body="Le département étudie.")
    recipients = [address for message in mail.outbox for address in message.to]
    assert recipients == ["ines@example.org"]


def test_a_theme_gets_one_answer_per_contribution(organiser, campaign):
    topic = Topic.objects.create(campaign=campaign, label="Fossés")
    rows = factories.ContributionFactory.create_batch(3, campaign=campaign, topic=topic)
    factories.ContributionFactory(campaign=campaign, topic=topic, visibility="hidden")
    answers = answer_topic(organiser, topic, status="accepted", body="Retenu pour tout le thème.")
    assert {a.contribution_id for a in answers} == {r.pk for r in rows}
    with pytest.raises(ActionRefused):
        answer_topic(organiser, topic, status="peut-être", body="Statut inconnu.")
    empty = Topic.objects.create(campaign=campaign, label="Vide")
    with pytest.raises(ActionRefused):
        answer_topic(organiser, empty, status="accepted", body="Rien à répondre ici.")
