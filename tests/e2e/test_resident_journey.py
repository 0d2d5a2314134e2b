"""A resident's whole path in a real browser, and an organiser answering them.

Sign up, submit a proposal, support another, comment, register for a workshop, then see the
prefecture's official answer on one's own proposal. axe-core runs on every page visited and
must find no serious or critical issue.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from consultation.models import Comment, Contribution, Registration, Support
from tests import factories
from tests.e2e.conftest import pass_second_factor, serious_accessibility_issues

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db):
    campaign = factories.CampaignFactory(
        slug="inventons-le-territoire-de-demain",
        title="Concertation résilience : inventons le territoire de demain",
    )
    factories.PhaseFactory(campaign=campaign, title="Contributions")
    basin = factories.AreaFactory(slug="canche", name="Bassin de la Canche")
    campaign.areas.add(basin)
    hesdin = factories.CommuneFactory(area=basin, name="Hesdin", insee_code="62447")
    factories.ThemeFactory(campaign=campaign, name="Culture du risque", slug="culture-du-risque")
    neighbour = factories.UserFactory(display_name="Martine de Hesdin")
    other = factories.ContributionFactory(
        campaign=campaign,
        author=neighbour,
        commune=hesdin,
        title="Installer des repères de crue dans chaque village",
        body="Des repères visibles rappellent jusqu'où l'eau est montée en novembre 2023.",
    )
    workshop = factories.WorkshopFactory(
        campaign=campaign, commune=hesdin, title="Atelier du bassin de la Canche", capacity=20
    )
    organiser = factories.UserFactory(
        email="organisation@prefecture.gouv.fr", display_name="Préfecture"
    )
    from consultation.models import CampaignRole

    CampaignRole.objects.create(campaign=campaign, user=organiser, role=CampaignRole.Role.ORGANISER)
    return {"campaign": campaign, "other": other, "workshop": workshop, "organiser": organiser}


def _check_accessibility(page, visited: list):
    visited.append((page.url, serious_accessibility_issues(page)))


def _tick(page, label: str):
    """DSFR draws radios and checkboxes on their label, over a visually hidden input: click
    the label, as a person does, then make sure the input took it."""
    page.locator("label").filter(has_text=re.compile(r"^\s*" + re.escape(label))).first.click()
    expect(page.get_by_label(re.compile(r"^\s*" + re.escape(label))).first).to_be_checked()


def _log_in(page, email, password):
    page.goto("/compte/connexion/")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(password)
    page.get_by_role("button", name="Se connecter").click()
    pass_second_factor(page)  # staff only; a resident's page is left alone


def test_a_resident_takes_part_and_reads_the_official_answer(new_page, demo):
    visited: list = []
    scripts_run: list = []
    page = new_page()
    page.on("dialog", lambda dialog: (scripts_run.append(dialog.message), dialog.dismiss()))

    # The home page leads to the campaign.
    page.goto("/")
    _check_accessibility(page, visited)
    page.get_by_role("link", name=re.compile("inventons le territoire de demain")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("inventons le territoire")
    _check_accessibility(page, visited)

    # Sign up.
    page.goto("/compte/inscription/")
    page.get_by_label("Adresse électronique").fill("jeanne@exemple.fr")
    page.get_by_label("Nom affiché").fill("Jeanne d'Hesdin")
    page.get_by_label(re.compile(r"^Mot de passe")).fill("crue-de-la-canche-2023")
    page.get_by_label("Confirmation du mot de passe").fill("crue-de-la-canche-2023")
    _tick(page, "J'accepte les conditions")
    _check_accessibility(page, visited)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("button", name="Se déconnecter").first).to_be_attached()

    # Until the address is confirmed, nothing can be published: open the link sent by email.
    page.goto(f"/c/{demo['campaign'].slug}/contribuer/")
    expect(page.get_by_text("Confirmez votre adresse électronique pour participer")).to_be_visible()
    [message] = mail.outbox
    assert message.to == ["jeanne@exemple.fr"]
    link = re.search(r"https?://[^/\s]+(/compte/verification/\S+/)", message.body).group(1)
    page.goto(link)
    _check_accessibility(page, visited)
    page.get_by_role("button", name="Confirmer mon adresse").click()
    expect(page.get_by_text("votre adresse jeanne@exemple.fr est vérifiée")).to_be_visible()
    mail.outbox.clear()

    # Submit a proposal, with markup in its title that must stay text.
    campaign = demo["campaign"]
    page.goto(f"/c/{campaign.slug}/contribuer/")
    _check_accessibility(page, visited)
    _tick(page, "Proposition")
    page.get_by_label("Titre").fill("Des haies <script>alert(1)</script> sur les coteaux")
    page.get_by_label("Texte").fill(
        "Des haies perpendiculaires à la pente freinent le ruissellement vers Hesdin."
    )
    page.get_by_label("Thème").select_option(label="Culture du risque")
    page.get_by_label("Commune concernée").select_option(label="Hesdin")
    page.get_by_role("button", name="Envoyer ma contribution").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Des haies <script>alert(1)</script> sur les coteaux"
    )
    _check_accessibility(page, visited)
    mine = Contribution.objects.get(author__email="jeanne@exemple.fr")
    assert mine.commune.insee_code == "62447"

    # Support another proposal and comment on it.
    other = demo["other"]
    page.goto(f"/c/{campaign.slug}/contributions/{other.pk}/")
    page.get_by_role("button", name="Soutenir cette proposition").click()
    expect(page.get_by_role("button", name="Retirer mon soutien")).to_be_visible()
    assert Support.objects.filter(contribution=other).count() == 1
    page.get_by_label("Votre commentaire").fill(
        "Oui, et les enfants des écoles pourraient les poser."
    )
    _tick(page, "Pour")
    page.get_by_role("button", name="Publier mon commentaire").click()
    expect(page.get_by_text("les enfants des écoles pourraient les poser")).to_be_visible()
    _check_accessibility(page, visited)
    assert Comment.objects.get(contribution=other).alignment == Comment.Alignment.FOR

    # Register for the workshop.
    workshop = demo["workshop"]
    page.goto(f"/c/{campaign.slug}/ateliers/{workshop.pk}/")
    _check_accessibility(page, visited)
    page.get_by_role("button", name="M'inscrire").click()
    expect(page.get_by_role("button", name="Annuler mon inscription")).to_be_visible()
    assert Registration.objects.get(workshop=workshop).status == Registration.Status.CONFIRMED

    # The organiser answers, in their own browser.
    staff = new_page()
    _log_in(staff, "organisation@prefecture.gouv.fr", "mot-de-passe-solide-42")
    staff.goto(f"/c/{campaign.slug}/contributions/{mine.pk}/")
    staff.get_by_label("Statut de la réponse").select_option(label="Retenue")
    staff.get_by_label("Réponse officielle").fill(
        "Retenue : le syndicat mixte de la Canche finance 12 km de haies en 2025."
    )
    _check_accessibility(staff, visited)
    staff.get_by_role("button", name="Publier la réponse").click()
    expect(staff.locator("#reponse-officielle")).to_contain_text("12 km de haies en 2025")

    # The resident was emailed and sees the answer on their proposal.
    assert [m.to for m in mail.outbox] == [["jeanne@exemple.fr"]]
    page.goto(f"/c/{campaign.slug}/contributions/{mine.pk}/")
    expect(page.get_by_text("Statut : Retenue")).to_be_visible()
    expect(page.get_by_text("12 km de haies en 2025")).to_be_visible()
    _check_accessibility(page, visited)

    assert scripts_run == []
    problems = [(url, issues) for url, issues in visited if issues]
    assert problems == [], problems


def test_the_accessibility_check_catches_a_real_violation(new_page):
    page = new_page()
    page.set_content(
        '<html lang="fr"><head><title>Essai</title></head><body><main>'
        '<img src="carte.png"><button></button></main></body></html>'
    )
    issues = serious_accessibility_issues(page)
    assert any(issue.startswith("image-alt") for issue in issues)
    assert any(issue.startswith("button-name") for issue in issues)
