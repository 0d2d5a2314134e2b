"""Legal pages: accessibility statement, legal notice, personal data, site map."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "heading", "sections"),
    [
        (
            "frontend:accessibility",
            "Déclaration d'accessibilité",
            [
                "État de conformité",
                "non conforme",
                "Résultats des tests",
                "Contenus non accessibles",
                "Établissement de cette déclaration",
                "Retour d'information et contact",
                "Voies de recours",
                "Défenseur des droits",
            ],
        ),
        (
            "frontend:legal_notice",
            "Mentions légales",
            [
                "Préfecture du Pas-de-Calais",
                "rue Ferdinand Buisson",
                "62020 Arras Cedex",
                "Directeur de la publication",
                "Le préfet du Pas-de-Calais.",
                "Hébergement",
                "Conditions d'utilisation et charte de participation",
            ],
        ),
        (
            "frontend:personal_data",
            "Données personnelles",
            [
                "Responsable de traitement",
                "Finalités",
                "mission d'intérêt public",
                "Données collectées",
                "Durée de conservation",
                "Vos droits",
                "Délégué à la protection des données",
                "CNIL",
            ],
        ),
        ("frontend:sitemap", "Plan du site", ["Accessibilité", "Mentions légales"]),
    ],
)
def test_each_legal_page_renders_its_required_sections(client, name, heading, sections):
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode().replace("&#x27;", "'")
    assert f"<h1>{heading}</h1>" in html
    assert f"<title>{heading} — Concertation citoyenne</title>" in html
    for section in sections:
        assert section in html, section


def test_the_legal_notice_names_the_host_when_the_setting_is_set(client, settings):
    settings.LEGAL_HOSTING = "Ministère de l'Intérieur, DNUM\nplace Beauvau, 75008 Paris"
    html = client.get(reverse("frontend:legal_notice")).content.decode()
    assert "DNUM<br>place Beauvau" in html
    assert "réglage LEGAL_HOSTING" not in html


def test_the_legal_notice_says_plainly_who_sets_the_host_when_unset(client):
    html = client.get(reverse("frontend:legal_notice")).content.decode()
    assert "L'hébergeur est choisi par l'administration" in html


def test_the_site_map_lists_public_campaigns_and_not_drafts(client, campaign):
    from tests.factories import CampaignFactory

    CampaignFactory(title="Brouillon secret", status="draft")
    html = client.get(reverse("frontend:sitemap")).content.decode()
    assert campaign.title in html
    assert "Brouillon secret" not in html


def test_the_site_map_shows_account_links_for_a_logged_in_person(client, resident):
    client.force_login(resident)
    html = client.get(reverse("frontend:sitemap")).content.decode()
    assert reverse("frontend:account") in html
    assert "Changer de mot de passe" in html


def test_legal_pages_refuse_a_post(client):
    assert client.post(reverse("frontend:accessibility")).status_code == 405
