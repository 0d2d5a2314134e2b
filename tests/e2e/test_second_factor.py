"""In a real browser: a moderator signs in with a password, is asked to enrol an authenticator
app, types the code the app would show for the secret on the page, reads the recovery codes,
lands on the moderation page; a later sign-in asks for the code. axe-core finds no serious or
critical issue on the two pages."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from consultation.models import CampaignRole
from tests import factories
from tests.e2e.conftest import serious_accessibility_issues
from tests.staff import code_from_secret, current_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "mot-de-passe-solide-42"  # tests.factories.UserFactory's


def _log_in(page, email, next_url):
    page.goto(f"/compte/connexion/?next={next_url}")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_a_moderator_enrols_then_types_the_code_at_the_next_sign_in(new_page, db):
    campaign = factories.CampaignFactory(title="Concertation résilience du bassin de la Canche")
    factories.PhaseFactory(campaign=campaign)
    moderator = factories.UserFactory(email="moderation@prefecture.gouv.fr")
    CampaignRole.objects.create(campaign=campaign, user=moderator, role="moderator")
    queue = f"/c/{campaign.slug}/moderation/"
    issues: list = []

    page = new_page()
    _log_in(page, moderator.email, queue)
    expect(page.get_by_role("heading", level=1)).to_have_text("Double authentification")
    expect(page.locator("figure svg")).to_be_visible()  # the QR code, drawn inline
    issues += serious_accessibility_issues(page)
    secret = page.locator("#cle-secrete").inner_text()
    # Sent empty: refused by the form (a wrong code would make the next try wait 1 s).
    page.get_by_role("button", name="Activer la double authentification").click()
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient une erreur")
    page.get_by_label("Code affiché par l'application").fill(code_from_secret(secret))
    page.get_by_role("button", name="Activer la double authentification").click()
    expect(page.locator("#codes-de-secours li")).to_have_count(10)
    page.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    expect(page).to_have_url(re.compile(re.escape(queue) + "$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Modération")

    later = new_page()
    _log_in(later, moderator.email, queue)
    expect(later.get_by_label("Code de vérification")).to_be_visible()
    issues += serious_accessibility_issues(later)
    device = TOTPDevice.objects.get(user=moderator)
    later.get_by_label("Code de vérification").fill(current_code(device, steps_ahead=1))
    later.get_by_role("button", name="Valider le code").click()
    expect(later).to_have_url(re.compile(re.escape(queue) + "$"))
    expect(later.get_by_role("heading", level=1)).to_contain_text("Modération")
    assert issues == []
