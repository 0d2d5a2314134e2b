"""Sign-in with FranceConnect and ProConnect against a real OpenID provider (server.mjs, the
npm oidc-provider) configured like each of them: the Django test client plays our side, a
PersonAtProvider fills the provider's own login and consent forms over HTTP."""

from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from consultation.identity.second_factor import has_second_factor
from consultation.models import CampaignRole, ExternalIdentity, User
from tests import factories
from tests.oidc_provider import PROCONNECT_2FA
from tests.services import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser():
    """Our site as the person's browser sees it: the test client calls itself 127.0.0.1, the
    loopback address registered as redirect URI at the provider."""
    return Client(SERVER_NAME="127.0.0.1")


def start(browser, provider: str, next_url: str = ""):
    response = browser.post(f"/compte/{provider}/connexion/", {"next": next_url})
    assert response.status_code == 302
    return response["Location"]


def sign_in(browser, person, provider: str, login: str, password: str, consent: bool = True):
    """Button, provider's login and consent, back to our callback; returns our response."""
    callback = person.sign_in(start(browser, provider), login, password, consent=consent)
    assert callback.startswith(f"http://127.0.0.1/compte/{provider}/retour/"), callback
    return browser.get(callback, follow=True)


def page_text(response) -> str:
    return unescape(response.content.decode())


def nothing_created():
    return not User.objects.exists() and not ExternalIdentity.objects.exists()


# --- Signing in -------------------------------------------------------------------------------


def test_signing_in_with_franceconnect_creates_the_account_with_the_claims(
    browser, franceconnect, person_at
):
    person = person_at(franceconnect)
    response = sign_in(browser, person, "franceconnect", "camille", "mot-de-passe-camille")

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/"
    assert "Vous êtes connecté·e avec FranceConnect. Bienvenue Camille." in page_text(response)
    user = User.objects.get()
    assert (user.email, user.given_name, user.family_name) == (
        "camille.martin@example.fr",
        "Camille",
        "Martin",
    )
    assert user.display_name == "Camille"
    assert user.has_verified_email
    assert not user.has_usable_password()
    identity = user.external_identities.get()
    assert (identity.provider, identity.subject) == ("franceconnect", "fc-sub-camille-0001")
    assert identity.last_login_at is not None
    assert browser.session[SESSION_KEY] == str(user.pk)
    # The provider really asked: its login page and its consent page were shown.
    assert "Mot de passe" in person.pages[0]
    assert "Autoriser le partage" in person.pages[1]


def test_signing_in_again_finds_the_same_account_and_goes_back_where_the_person_was(
    browser, franceconnect, person_at, campaign
):
    sign_in(browser, person_at(franceconnect), "franceconnect", "camille", "mot-de-passe-camille")
    browser.post("/compte/deconnexion/")
    again = Client(SERVER_NAME="127.0.0.1")
    target = f"/campagnes/{campaign.slug}/"
    callback = person_at(franceconnect).sign_in(
        start(again, "franceconnect", next_url=target), "camille", "mot-de-passe-camille"
    )
    response = again.get(callback)

    assert response.status_code == 302
    assert response["Location"] == target
    assert User.objects.count() == 1
    assert ExternalIdentity.objects.count() == 1


def test_the_next_page_must_be_on_this_site(browser, franceconnect, person_at):
    callback = person_at(franceconnect).sign_in(
        start(browser, "franceconnect", next_url="https://attaquant.example/piege"),
        "camille",
        "mot-de-passe-camille",
    )
    assert browser.get(callback)["Location"] == "/"


def test_it_links_to_an_existing_account_with_that_verified_email(
    browser, franceconnect, person_at
):
    existing = User.objects.create_user(
        email="camille.martin@example.fr", password="mot-de-passe-local-123", display_name="Cam"
    )
    existing.email_verified_at = "2026-01-01T00:00:00Z"
    existing.save()

    response = sign_in(
        browser, person_at(franceconnect), "franceconnect", "camille", "mot-de-passe-camille"
    )

    assert "Bienvenue Cam." in page_text(response)
    assert User.objects.count() == 1
    existing.refresh_from_db()
    assert existing.external_identities.get().subject == "fc-sub-camille-0001"
    assert existing.display_name == "Cam"  # the name the person chose stays
    assert existing.check_password("mot-de-passe-local-123")  # their own password too
    assert (existing.given_name, existing.family_name) == ("Camille", "Martin")


def test_a_squatted_unverified_account_goes_to_the_owner_of_the_address(
    browser, franceconnect, person_at
):
    # A stranger registered Camille's address before Camille came, and stays logged in.
    squatter = User.objects.create_user(
        email="camille.martin@example.fr", password="mot-de-passe-squat-123", display_name="Faux"
    )
    squatter.pending_email = "squat@attaquant.example"
    squatter.save()
    token = Token.objects.create(user=squatter)
    squatter_browser = Client(SERVER_NAME="127.0.0.1")
    assert squatter_browser.login(email=squatter.email, password="mot-de-passe-squat-123")

    response = sign_in(
        browser, person_at(franceconnect), "franceconnect", "camille", "mot-de-passe-camille"
    )

    assert "Bienvenue Camille." in page_text(response)
    account = User.objects.get()
    assert account.pk == squatter.pk
    assert account.has_verified_email
    assert account.display_name == "Camille"
    assert account.pending_email == ""
    assert not account.has_usable_password()
    assert not Token.objects.filter(key=token.key).exists()
    # The stranger's open session is over, and their password no longer opens the account.
    assert squatter_browser.get("/compte/")["Location"].startswith("/compte/connexion/")
    assert not Client().login(email=account.email, password="mot-de-passe-squat-123")
    # Camille's session works.
    assert browser.get("/compte/").status_code == 200


def test_a_deleted_account_is_never_signed_into_again(browser, franceconnect, person_at):
    from consultation.actions.privacy import delete_account

    sign_in(browser, person_at(franceconnect), "franceconnect", "camille", "mot-de-passe-camille")
    deleted = User.objects.get()
    delete_account(deleted)

    again = Client(SERVER_NAME="127.0.0.1")
    sign_in(again, person_at(franceconnect), "franceconnect", "camille", "mot-de-passe-camille")

    fresh = User.objects.get(email="camille.martin@example.fr")
    assert fresh.pk != deleted.pk
    assert again.session[SESSION_KEY] == str(fresh.pk)
    deleted.refresh_from_db()
    assert deleted.deleted_at and not deleted.external_identities.exists()


def test_a_provider_without_email_creates_nothing(browser, franceconnect, person_at):
    response = sign_in(
        browser,
        person_at(franceconnect),
        "franceconnect",
        "sans-courriel",
        "mot-de-passe-sans-courriel",
    )
    assert response.redirect_chain[-1][0] == "/compte/connexion/"
    assert "FranceConnect n'a pas transmis d'adresse électronique valable" in page_text(response)
    assert nothing_created()


# --- Attacks and failures ---------------------------------------------------------------------


def assert_refused_on_login_page(response, message: str):
    assert response.redirect_chain[-1][0] == "/compte/connexion/"
    assert message in page_text(response)
    assert SESSION_KEY not in response.wsgi_request.session
    assert nothing_created()


def test_it_refuses_a_userinfo_signed_with_a_key_not_in_the_jwks(browser, franceconnect, person_at):
    franceconnect.switch("bad-userinfo-signature")
    try:
        response = sign_in(
            browser, person_at(franceconnect), "franceconnect", "camille", "mot-de-passe-camille"
        )
    finally:
        franceconnect.switch("good-userinfo-signature")
    assert_refused_on_login_page(response, "La réponse de FranceConnect n'a pas pu être vérifiée")


def test_it_refuses_an_id_token_for_another_nonce(browser, franceconnect, person_at):
    callback = person_at(franceconnect).sign_in(
        start(browser, "franceconnect"), "camille", "mot-de-passe-camille"
    )
    # What an injected code from another sign-in looks like: the id_token carries the nonce of
    # that other sign-in, not the one this browser's session is waiting for.
    session = browser.session
    [key] = [k for k in session.keys() if k.startswith("_state_franceconnect_")]  # noqa: SIM118
    waiting = session[key]
    waiting["data"]["nonce"] = "un-autre-nonce-de-plus-de-32-caracteres-0123456789"
    session[key] = waiting
    session.save()

    response = browser.get(callback, follow=True)
    assert_refused_on_login_page(response, "La réponse de FranceConnect n'a pas pu être vérifiée")


def test_it_refuses_a_response_naming_another_issuer(browser, franceconnect, person_at):
    # Mix-up (RFC 9207): a code from another provider, sent to this provider's callback.
    callback = person_at(franceconnect).sign_in(
        start(browser, "franceconnect"), "camille", "mot-de-passe-camille"
    )
    assert "iss=" in callback
    forged = callback.replace("iss=http", "iss=https%3A%2F%2Fautre-fournisseur.example%2F&x=http")
    response = browser.get(forged, follow=True)
    assert_refused_on_login_page(response, "La réponse de FranceConnect n'a pas pu être vérifiée")


def test_it_refuses_a_franceconnect_level_below_the_one_asked(
    browser, franceconnect, person_at, settings
):
    settings.OIDC_PROVIDERS["franceconnect"]["acr_values"] = ["eidas2"]
    response = sign_in(
        browser, person_at(franceconnect), "franceconnect", "camille", "mot-de-passe-camille"
    )
    assert_refused_on_login_page(response, "avec un niveau de garantie insuffisant")


def test_it_refuses_an_expired_code(browser, franceconnect, person_at):
    callback = person_at(franceconnect).sign_in(
        start(browser, "franceconnect"), "camille", "mot-de-passe-camille"
    )
    franceconnect.switch("expire-codes")
    response = browser.get(callback, follow=True)
    assert_refused_on_login_page(response, "FranceConnect n'a pas confirmé la connexion")


def test_it_refuses_a_replayed_state(browser, franceconnect, person_at):
    callback = person_at(franceconnect).sign_in(
        start(browser, "franceconnect"), "camille", "mot-de-passe-camille"
    )
    assert browser.get(callback).status_code == 302
    browser.post("/compte/deconnexion/")
    User.objects.all().delete()

    response = browser.get(callback, follow=True)
    assert_refused_on_login_page(response, "a expiré ou a déjà servi")


def test_a_callback_from_another_browser_is_refused(browser, franceconnect, person_at):
    # Login CSRF: the attacker's own callback URL sent to a victim's browser.
    callback = person_at(franceconnect).sign_in(
        start(browser, "franceconnect"), "camille", "mot-de-passe-camille"
    )
    victim = Client(SERVER_NAME="127.0.0.1")
    response = victim.get(callback, follow=True)
    assert_refused_on_login_page(response, "a expiré ou a déjà servi")


def test_cancelling_at_the_provider_shows_a_french_message(browser, franceconnect, person_at):
    response = sign_in(
        browser,
        person_at(franceconnect),
        "franceconnect",
        "camille",
        "mot-de-passe-camille",
        consent=False,
    )
    assert_refused_on_login_page(response, "Vous avez annulé la connexion avec FranceConnect")


def test_in_english_the_refusal_is_in_english(browser, franceconnect, person_at, settings):
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = sign_in(
        browser,
        person_at(franceconnect),
        "franceconnect",
        "camille",
        "mot-de-passe-camille",
        consent=False,
    )
    assert_refused_on_login_page(response, "You cancelled signing in with FranceConnect")


def test_an_error_callback_with_junk_shows_a_french_message(browser, franceconnect):
    start(browser, "franceconnect")
    response = browser.get(
        "/compte/franceconnect/retour/",
        {"error": "server_error<script>", "state": "inconnu"},
        follow=True,
    )
    assert_refused_on_login_page(response, "FranceConnect n'a pas pu vous identifier")
    assert "<script>" not in response.content.decode()


def test_a_callback_without_state_or_code_is_refused(browser, franceconnect):
    response = browser.get("/compte/franceconnect/retour/", {"code": "n-importe-quoi"}, follow=True)
    assert_refused_on_login_page(response, "a expiré ou a déjà servi")


def test_provider_down_when_starting_shows_a_french_message(browser, settings):
    settings.OIDC_PROVIDERS = {
        "franceconnect": {
            "discovery_url": f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration",
            "client_id": "x",
            "client_secret": "y",
            "scopes": ["openid", "email"],
            "acr_values": ["eidas1"],
        }
    }
    response = browser.post("/compte/franceconnect/connexion/", follow=True)
    assert_refused_on_login_page(response, "FranceConnect ne répond pas pour le moment")


def test_provider_down_at_the_callback_shows_a_french_message(settings, person_at):
    from tests.oidc_provider.fixtures import start_provider

    provider = start_provider("franceconnect")
    try:
        settings.OIDC_PROVIDERS = {"franceconnect": provider.django_settings()}
        browser = Client(SERVER_NAME="127.0.0.1")
        callback = person_at(provider).sign_in(
            start(browser, "franceconnect"), "camille", "mot-de-passe-camille"
        )
    finally:
        provider.stop()
    response = browser.get(callback, follow=True)
    assert_refused_on_login_page(response, "FranceConnect ne répond pas pour le moment")


# --- Routes and buttons -----------------------------------------------------------------------


def test_a_provider_that_is_not_configured_is_refused_in_french(browser, settings):
    settings.OIDC_PROVIDERS = {}
    response = browser.post("/compte/proconnect/connexion/", follow=True)
    assert "La connexion avec ProConnect n'est pas proposée" in page_text(response)
    assert "bouton-proconnect" not in page_text(browser.get("/compte/connexion/"))
    assert browser.post("/compte/inconnu/connexion/").status_code == 404


def test_signing_in_starts_with_a_post_and_its_csrf_token(franceconnect):
    strict = Client(SERVER_NAME="127.0.0.1", enforce_csrf_checks=True)
    assert strict.get("/compte/franceconnect/connexion/").status_code == 405
    assert strict.post("/compte/franceconnect/connexion/").status_code == 403
    page = strict.get("/compte/connexion/")
    token = page.cookies["csrftoken"].value
    response = strict.post("/compte/franceconnect/connexion/", {"csrfmiddlewaretoken": token})
    assert response["Location"].startswith(franceconnect.base_url + "/auth?")


def test_the_authorization_request_is_what_franceconnect_expects(browser, franceconnect):
    query = parse_qs(urlsplit(start(browser, "franceconnect")).query)
    assert query["scope"] == ["openid given_name family_name email"]
    assert query["acr_values"] == ["eidas1"]
    assert query["response_type"] == ["code"]
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["redirect_uri"] == ["http://127.0.0.1/compte/franceconnect/retour/"]


def test_login_and_signup_pages_show_the_buttons(browser, settings, franceconnect, proconnect):
    settings.OIDC_PROVIDERS = {
        "franceconnect": franceconnect.django_settings(),
        "proconnect": proconnect.django_settings(),
    }
    for url in ("/compte/connexion/", "/compte/inscription/"):
        text = page_text(browser.get(url))
        assert "S’identifier avec" in text
        assert 'class="fr-connect__brand">FranceConnect<' in text
        assert 'class="fr-connect__brand">ProConnect<' in text
        assert 'action="/compte/franceconnect/connexion/"' in text


# --- ProConnect -------------------------------------------------------------------------------


def test_proconnect_with_a_two_factor_acr_counts_as_the_staff_second_factor(
    browser, proconnect, person_at, settings
):
    settings.PROCONNECT_STAFF_ACR = [PROCONNECT_2FA]
    response = sign_in(
        browser, person_at(proconnect), "proconnect", "agent-2fa", "mot-de-passe-agent-2fa"
    )
    assert "Vous êtes connecté·e avec ProConnect. Bienvenue Alex." in page_text(response)
    user = User.objects.get()
    assert (user.given_name, user.family_name, user.email) == (
        "Alex",
        "Durand",
        "alex.durand@pas-de-calais.gouv.fr",
    )
    assert user.external_identities.get().siret == "13000000000011"
    assert has_second_factor(response.wsgi_request)


def test_proconnect_with_a_plain_acr_is_no_second_factor(browser, proconnect, person_at, settings):
    settings.PROCONNECT_STAFF_ACR = [PROCONNECT_2FA]
    response = sign_in(browser, person_at(proconnect), "proconnect", "agent", "mot-de-passe-agent")
    assert "Bienvenue Morgane." in page_text(response)
    assert User.objects.get().external_identities.get().siret == "13000000000022"
    assert not has_second_factor(response.wsgi_request)


def moderation_page_for_agent(browser, person, login: str, password: str):
    """Sign an agent in through ProConnect, give them a moderator's role, open its page."""
    sign_in(browser, person, "proconnect", login, password)
    campaign = factories.CampaignFactory()
    CampaignRole.objects.create(
        campaign=campaign, user=User.objects.get(), role=CampaignRole.Role.MODERATOR
    )
    return browser.get(reverse("frontend:moderation", kwargs={"slug": campaign.slug}))


def test_an_agent_with_a_plain_acr_enrols_a_second_factor_before_staff_pages(
    browser, proconnect, person_at, settings
):
    settings.PROCONNECT_STAFF_ACR = [PROCONNECT_2FA]
    response = moderation_page_for_agent(
        browser, person_at(proconnect), "agent", "mot-de-passe-agent"
    )
    assert response["Location"].startswith(reverse("frontend:second_factor_setup"))


def test_an_agent_with_a_two_factor_acr_opens_staff_pages_at_once(
    browser, proconnect, person_at, settings
):
    settings.PROCONNECT_STAFF_ACR = [PROCONNECT_2FA]
    response = moderation_page_for_agent(
        browser, person_at(proconnect), "agent-2fa", "mot-de-passe-agent-2fa"
    )
    assert response.status_code == 200


def test_proconnect_asks_for_acr_and_amr_through_the_claims_parameter(browser, proconnect):
    import json

    query = parse_qs(urlsplit(start(browser, "proconnect")).query)
    assert json.loads(query["claims"][0]) == {
        "id_token": {"acr": {"essential": True}, "amr": {"essential": True}}
    }
    assert query["scope"] == ["openid given_name usual_name email uid siret"]


# --- Logout -----------------------------------------------------------------------------------


def test_logout_ends_the_provider_session_too(browser, franceconnect, person_at):
    person = person_at(franceconnect)
    sign_in(browser, person, "franceconnect", "camille", "mot-de-passe-camille")
    id_token = browser.session["oidc_id_token"]

    response = browser.post("/compte/deconnexion/")

    end_session = response["Location"]
    assert end_session.startswith(franceconnect.base_url + "/session/end?")
    query = parse_qs(urlsplit(end_session).query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == [
        "http://127.0.0.1/compte/franceconnect/deconnexion/"
    ]
    assert len(query["state"][0]) >= 32
    assert SESSION_KEY not in browser.session  # logged out here already

    back = browser.get(person.log_out(end_session), follow=True)
    assert back.redirect_chain[-1][0] == "/"
    text = page_text(back)
    assert "Vous êtes déconnecté·e." in text
    assert "Vous êtes aussi déconnecté·e de FranceConnect." in text

    # The provider forgot the person: signing in again asks for the password again.
    person.pages.clear()
    person.sign_in(start(browser, "franceconnect"), "camille", "mot-de-passe-camille")
    assert "Mot de passe" in person.pages[0]


def test_a_logout_return_with_a_forged_state_says_nothing_about_the_provider(browser):
    response = browser.get("/compte/franceconnect/deconnexion/", {"state": "forge"}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "Vous êtes aussi déconnecté·e" not in page_text(response)


def test_a_local_logout_stays_local(browser, resident):
    browser.force_login(resident)
    response = browser.post("/compte/deconnexion/")
    assert response["Location"] == "/"
