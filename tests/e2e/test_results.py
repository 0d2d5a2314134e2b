"""The results page in a real browser: a resident reads the figures (each chart an image named
by its title, followed by its table), follows a synthesis citation to its source and opens the
open data; an organiser answers a whole automatic theme. axe-core runs on every page."""

import re

import pytest
from playwright.sync_api import expect

from consultation.actions.synthesis import create_section, publish_version, save_version
from consultation.models import Campaign, CampaignRole, OfficialAnswer
from consultation.models.contributions import Provenance
from tests import factories
from tests.e2e.conftest import pass_second_factor, serious_accessibility_issues

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "mot-de-passe-solide-42"  # the factories' password


@pytest.fixture
def closed(db):
    campaign = factories.CampaignFactory(status=Campaign.Status.CLOSED, slug="resultats-e2e")
    factories.PhaseFactory(campaign=campaign)
    theme = factories.ThemeFactory(campaign=campaign)
    commune = factories.CommuneFactory(name="Montreuil-sur-Mer", insee_code="62588")
    topic = campaign.topics.create(label="Entretien des fossés", terms=["fossé"])
    cited = factories.ContributionFactory(
        campaign=campaign, title="Curer les fossés", theme=theme, commune=commune, topic=topic
    )
    factories.ContributionFactory(
        campaign=campaign, provenance=Provenance.PAPER, author=None, topic=topic
    )
    factories.OfficialAnswerFactory(contribution=cited, status=OfficialAnswer.Status.ACCEPTED)
    staff = {}
    for role in ["moderator", "organiser"]:
        staff[role] = factories.UserFactory(email=f"{role}@prefecture.gouv.fr")
        CampaignRole.objects.create(campaign=campaign, user=staff[role], role=role)
    section = create_section(staff["moderator"], campaign, title="Les fossés")
    version = save_version(staff["moderator"], section, f"Curer les fossés [#{cited.pk}].")
    publish_version(staff["organiser"], version)
    return {"campaign": campaign, "cited": cited, "topic": topic, **staff}


def _log_in(page, email):
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    pass_second_factor(page)  # staff only; a resident's page is left alone
    expect(page.get_by_role("button", name="Se déconnecter").first).to_be_attached()


def test_a_resident_reads_the_results_follows_a_citation_and_opens_the_data(new_page, closed):
    page = new_page()
    page.goto(f"/c/{closed['campaign'].slug}/resultats/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Résultats de la concertation")
    chart = page.get_by_role("img", name="Contributions par canal")
    expect(chart).to_be_visible()
    table = page.get_by_role("table", name=re.compile("Contributions par canal"))
    expect(table.get_by_role("row", name=re.compile(r"Papier 1"))).to_be_visible()
    assert serious_accessibility_issues(page) == []

    page.get_by_role("link", name=f"[#{closed['cited'].pk}]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Curer les fossés")

    page.go_back()
    page.get_by_role("link", name="Données ouvertes").click()
    expect(page.get_by_text("licence ouverte Etalab 2.0").first).to_be_visible()
    assert serious_accessibility_issues(page) == []
    csv = page.request.get(f"/c/{closed['campaign'].slug}/donnees/contributions.csv")
    assert csv.ok and "Curer les fossés" in csv.text()


def test_an_organiser_answers_a_whole_theme(new_page, closed):
    page = new_page()
    _log_in(page, closed["organiser"].email)
    page.goto(f"/c/{closed['campaign'].slug}/resultats/")
    page.get_by_role("link", name="Entretien des fossés").click()
    assert serious_accessibility_issues(page) == []
    page.get_by_label("Statut de la réponse").select_option("under_review")
    page.get_by_label("Réponse officielle").fill("La préfecture étudie le curage avec le syndicat.")
    page.get_by_role("button", name="Publier la réponse pour tout le thème").click()
    expect(
        page.get_by_text("La réponse officielle est publiée pour 2 contributions.")
    ).to_be_visible()
    assert OfficialAnswer.objects.filter(status="under_review").count() == 2
