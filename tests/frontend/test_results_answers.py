"""The organisers' grouped official answer for an automatic theme: one form, every published
contribution of the theme answered (merged, hidden and other themes' ones untouched), French
errors, organisers only."""

import pytest
from django.urls import reverse

from consultation.models import OfficialAnswer
from consultation.models.contributions import Visibility
from tests import factories
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

BODY = "La préfecture engage le curage des fossés avec les communes du bassin."


@pytest.fixture
def topic(campaign):
    return campaign.topics.create(label="Entretien des fossés", terms=["fossé", "curage"])


@pytest.fixture
def members(campaign, topic):
    make = factories.ContributionFactory
    first = make(campaign=campaign, topic=topic, title="Curer les fossés")
    second = make(campaign=campaign, topic=topic, title="Entretenir les buses")
    return {
        "answered": [first, second],
        "merged": make(campaign=campaign, topic=topic, merged_into=first, title="Doublon"),
        "hidden": make(campaign=campaign, topic=topic, visibility=Visibility.HIDDEN),
        "elsewhere": make(campaign=campaign, title="Autre thème"),
    }


def url(campaign, topic):
    return reverse("frontend:answer_topic", args=[campaign.slug, topic.pk])


def test_the_page_lists_what_the_answer_will_reach(client, campaign, topic, members, organiser):
    sign_in(client, organiser)
    response = client.get(url(campaign, topic))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Curer les fossés" in page and "Entretenir les buses" in page
    assert "Doublon" not in page and "Autre thème" not in page
    assert "chacune des 2 contributions publiées" in page


def test_an_organiser_answers_every_published_contribution_of_the_theme(
    client, campaign, topic, members, organiser, mailoutbox
):
    sign_in(client, organiser)
    response = client.post(url(campaign, topic), {"status": "accepted", "body": BODY})
    assert response.status_code == 302
    answered = OfficialAnswer.objects.filter(status="accepted", body=BODY)
    assert {a.contribution_id for a in answered} == {c.pk for c in members["answered"]}
    assert OfficialAnswer.objects.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "La réponse officielle est publiée pour 2 contributions." in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"status": "peut-etre", "body": BODY}, "Sélectionnez un choix valide"),
        ({"status": "accepted", "body": "Court"}, "au moins 10 caractères"),
        ({"status": "accepted", "body": ""}, "Ce champ est obligatoire"),
    ],
)
def test_mistakes_are_explained_in_french_and_nothing_is_answered(
    client, campaign, topic, members, organiser, data, error
):
    sign_in(client, organiser)
    response = client.post(url(campaign, topic), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Votre envoi n’a pas été enregistré" in page
    assert error in page
    assert not OfficialAnswer.objects.exists()


def test_a_theme_without_published_contribution_is_refused(client, campaign, organiser):
    empty = campaign.topics.create(label="Vide")
    factories.ContributionFactory(campaign=campaign, topic=empty, visibility=Visibility.HIDDEN)
    sign_in(client, organiser)
    response = client.post(url(campaign, empty), {"status": "accepted", "body": BODY})
    assert response.status_code == 400
    assert "Ce thème ne contient aucune contribution publiée." in response.content.decode()
    assert not OfficialAnswer.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, campaign, topic):
    response = client.get(url(campaign, topic))
    assert response.status_code == 302
    assert reverse("frontend:login") in response["Location"]


@pytest.mark.parametrize("persona", ["resident", "moderator", "facilitator"])
def test_only_organisers_may_answer(client, campaign, topic, members, request, persona):
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(url(campaign, topic)).status_code == 404
    response = client.post(url(campaign, topic), {"status": "accepted", "body": BODY})
    assert response.status_code == 404
    assert not OfficialAnswer.objects.exists()


def test_a_theme_of_another_campaign_is_not_found(client, campaign, organiser):
    other = factories.CampaignFactory()
    foreign = other.topics.create(label="Ailleurs")
    factories.ContributionFactory(campaign=other, topic=foreign)
    sign_in(client, organiser)
    response = client.post(url(campaign, foreign), {"status": "accepted", "body": BODY})
    assert response.status_code == 404
    assert not OfficialAnswer.objects.exists()
