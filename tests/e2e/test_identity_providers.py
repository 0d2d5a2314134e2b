"""FranceConnect and ProConnect in a real browser, against a real OpenID provider (server.mjs,
npm oidc-provider) configured like each: the button, the provider's login page and consent,
back signed in; logout ends the provider's session too (signing in again asks for the password
again). axe-core checks the login page with both buttons."""

import re

import pytest
from playwright.sync_api import expect

from consultation.models import User
from tests.e2e.conftest import serious_accessibility_issues
from tests.oidc_provider.fixtures import *  # noqa: F403 (the provider fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def both_providers(settings, franceconnect_provider, proconnect_provider):
    # Django's live server runs in this process: it reads these settings.
    settings.OIDC_PROVIDERS = {
        "franceconnect": franceconnect_provider.django_settings(),
        "proconnect": proconnect_provider.django_settings(),
    }


def sign_in_at_provider(page, login: str, password: str):
    expect(page.get_by_role("heading", name=re.compile("^Connexion"))).to_be_visible()
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Autoriser le partage")).to_be_visible()
    page.get_by_role("button", name="Autoriser").click()


def test_a_resident_signs_in_and_out_with_franceconnect(new_page, live_server, both_providers):
    page = new_page()
    page.goto("/compte/connexion/")
    assert serious_accessibility_issues(page) == []

    page.get_by_role("button", name="S’identifier avec FranceConnect").click()
    sign_in_at_provider(page, "camille", "mot-de-passe-camille")

    expect(
        page.get_by_text("Vous êtes connecté·e avec FranceConnect. Bienvenue Camille.")
    ).to_be_visible()
    assert page.url == live_server.url + "/"
    user = User.objects.get()
    assert (user.given_name, user.family_name, user.has_verified_email) == (
        "Camille",
        "Martin",
        True,
    )

    page.get_by_role("button", name="Se déconnecter").click()
    # The provider's own page asks to confirm the end of its session.
    expect(page.get_by_role("heading", name="Se déconnecter")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes aussi déconnecté·e de FranceConnect.")).to_be_visible()
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()

    # The provider forgot the person: its login page comes back.
    page.goto("/compte/connexion/")
    page.get_by_role("button", name="S’identifier avec FranceConnect").click()
    expect(page.get_by_label("Mot de passe")).to_be_visible()


def test_an_agent_signs_in_with_proconnect(new_page, live_server, both_providers):
    page = new_page()
    page.goto("/compte/inscription/")
    page.get_by_role("button", name="S’identifier avec ProConnect").click()
    sign_in_at_provider(page, "agent-2fa", "mot-de-passe-agent-2fa")

    expect(
        page.get_by_text("Vous êtes connecté·e avec ProConnect. Bienvenue Alex.")
    ).to_be_visible()
    assert User.objects.get().external_identities.get().siret == "13000000000011"


def test_cancelling_at_franceconnect_comes_back_to_the_login_page_in_french(
    new_page, live_server, both_providers
):
    page = new_page()
    page.goto("/compte/connexion/")
    page.get_by_role("button", name="S’identifier avec FranceConnect").click()
    page.get_by_role("button", name="Annuler").click()

    expect(page.get_by_text("Vous avez annulé la connexion avec FranceConnect")).to_be_visible()
    assert page.url == live_server.url + "/compte/connexion/"
    assert not User.objects.exists()


@pytest.fixture
def daphne_configured_by_environment(
    request, monkeypatch, franceconnect_provider, proconnect_provider
):
    """Daphne in its own process, the providers set only through its environment, as in
    production (daphne_server copies os.environ into the child's)."""
    for provider in (franceconnect_provider, proconnect_provider):
        for name, value in provider.environment().items():
            monkeypatch.setenv(name, value)
    return request.getfixturevalue("daphne_server")


def test_daphne_configured_by_the_environment_signs_in_with_franceconnect(
    browser, daphne_configured_by_environment
):
    context = browser.new_context(base_url=daphne_configured_by_environment, locale="fr-FR")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto("/compte/connexion/")
        expect(page.get_by_role("button", name="S’identifier avec ProConnect")).to_be_visible()
        page.get_by_role("button", name="S’identifier avec FranceConnect").click()
        sign_in_at_provider(page, "dominique", "mot-de-passe-dominique")
        expect(page.get_by_text("Bienvenue Dominique.")).to_be_visible()
        assert User.objects.get().email == "dominique.bernard@example.fr"
    finally:
        context.close()
