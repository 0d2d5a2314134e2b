"""« Double authentification » pages: enrolment (QR code, secret in text, confirmation, ten
recovery codes shown once), the code page after each sign-in, and the reset in « Mon compte »."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.staff import code_from_secret, current_code, sign_in

pytestmark = pytest.mark.django_db

PASSWORD = "mot-de-passe-solide-42"
LOGIN = reverse("frontend:login")
SETUP = reverse("frontend:second_factor_setup")
VERIFY = reverse("frontend:second_factor")
RESET = reverse("frontend:second_factor_reset")


@pytest.fixture(autouse=True)
def _no_wait_between_codes(settings):
    # django-otp makes each try after a wrong code wait 1 s, 2 s... on the wall clock: off
    # here, except in the tests of that wait (which set a wait no test run could outlast).
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def moderation_url(campaign):
    return reverse("frontend:moderation", kwargs={"slug": campaign.slug})


def log_in_with_password(client, user):
    response = client.post(LOGIN, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def secret_on(page: str) -> str:
    return re.search(r'id="cle-secrete"[^>]*>([A-Z2-7 ]+)<', page).group(1)


def enrol(client, campaign):
    """Staff's first sign-in: asked to enrol, types the code the app shows; returns the page
    with the recovery codes."""
    page = client.get(f"{SETUP}?next={moderation_url(campaign)}").content.decode()
    return client.post(
        SETUP, {"code": code_from_secret(secret_on(page)), "next": moderation_url(campaign)}
    )


def test_a_moderator_is_asked_to_enrol_then_lands_on_the_page_they_asked_for(campaign, moderator):
    client = Client()
    log_in_with_password(client, moderator)

    asked = client.get(moderation_url(campaign))
    setup = client.get(asked["Location"])
    page = setup.content.decode()
    confirmed = client.post(
        SETUP, {"code": code_from_secret(secret_on(page)), "next": moderation_url(campaign)}
    )
    codes = re.findall(r"<li><code[^>]*>([a-z2-7]{8})</code></li>", confirmed.content.decode())

    assert asked.status_code == 302
    assert asked["Location"] == f"{SETUP}?next=%2Fc%2F{campaign.slug}%2Fmoderation%2F"
    assert setup.status_code == 200
    assert "<svg" in page and "Double authentification" in page
    assert len(secret_on(page).replace(" ", "")) == 32
    assert confirmed.status_code == 200
    assert len(set(codes)) == 10
    assert f'href="{moderation_url(campaign)}"' in confirmed.content.decode()
    assert client.get(moderation_url(campaign)).status_code == 200
    assert TOTPDevice.objects.get(user=moderator).confirmed


def test_the_secret_stays_the_same_when_the_setup_page_is_reloaded(campaign, moderator):
    client = Client()
    log_in_with_password(client, moderator)

    first = secret_on(client.get(SETUP).content.decode())
    second = secret_on(client.get(SETUP).content.decode())

    assert first == second


def test_a_later_sign_in_asks_for_the_code(campaign, moderator):
    first = Client()
    log_in_with_password(first, moderator)
    enrol(first, campaign)
    device = TOTPDevice.objects.get(user=moderator)

    later = Client()
    log_in_with_password(later, moderator)
    asked = later.get(moderation_url(campaign))
    code_page = later.get(asked["Location"])
    # The code of the next 30 s: the one of enrolment cannot be used twice.
    response = later.post(
        VERIFY,
        {"code": current_code(device, steps_ahead=1), "next": moderation_url(campaign)},
    )

    assert asked["Location"].startswith(VERIFY)
    assert code_page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == moderation_url(campaign)
    assert later.get(moderation_url(campaign)).status_code == 200


def test_a_wrong_code_gets_a_french_message_and_keeps_the_page_closed(campaign, moderator):
    client = Client()
    sign_in(client, moderator)  # a device exists
    later = Client()
    log_in_with_password(later, moderator)

    response = later.post(VERIFY, {"code": "000000", "next": moderation_url(campaign)})

    assert response.status_code == 400
    assert "Code incorrect" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert later.get(moderation_url(campaign))["Location"].startswith(VERIFY)


@pytest.mark.parametrize("code", ["", "   ", "1" * 30, "<script>", "12345a"])
def test_bad_input_on_the_code_page_is_a_french_error(campaign, moderator, code):
    sign_in(Client(), moderator)
    client = Client()
    log_in_with_password(client, moderator)

    response = client.post(VERIFY, {"code": code})

    assert response.status_code == 400
    assert "Le formulaire contient" in response.content.decode()


@pytest.mark.parametrize("code", ["", "abcdef", "1" * 30, "000000"])
def test_bad_input_on_the_setup_page_is_a_french_error_and_enrols_nothing(moderator, code):
    client = Client()
    log_in_with_password(client, moderator)
    client.get(SETUP)

    response = client.post(SETUP, {"code": code})

    assert response.status_code == 400
    assert "Le formulaire contient" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=moderator, confirmed=True).exists()


def test_wrong_codes_make_the_next_try_wait(settings, campaign, moderator):
    settings.OTP_TOTP_THROTTLE_FACTOR = 3600  # longer than any test run: no race with the clock
    sign_in(Client(), moderator)
    device = TOTPDevice.objects.get(user=moderator)
    client = Client()
    log_in_with_password(client, moderator)

    client.post(VERIFY, {"code": "000000"})
    right_code = client.post(VERIFY, {"code": current_code(device, steps_ahead=1)})

    assert right_code.status_code == 429
    assert "Trop de codes incorrects" in right_code.content.decode()
    assert client.get(moderation_url(campaign))["Location"].startswith(VERIFY)


def test_a_recovery_code_works_once(campaign, moderator):
    first = Client()
    log_in_with_password(first, moderator)
    codes = re.findall(r"<code[^>]*>([a-z2-7]{8})</code>", enrol(first, campaign).content.decode())

    second, third = Client(), Client()
    log_in_with_password(second, moderator)
    log_in_with_password(third, moderator)
    used = second.post(VERIFY, {"code": codes[0].upper(), "next": moderation_url(campaign)})
    reused = third.post(VERIFY, {"code": codes[0]})

    assert used.status_code == 302
    assert second.get(moderation_url(campaign)).status_code == 200
    assert reused.status_code == 400
    assert StaticToken.objects.filter(device__user=moderator).count() == 9


def test_an_unsafe_next_goes_home(moderator):
    sign_in(Client(), moderator)
    device = TOTPDevice.objects.get(user=moderator)
    client = Client()
    log_in_with_password(client, moderator)

    response = client.post(
        VERIFY, {"code": current_code(device, steps_ahead=1), "next": "https://pirate.example/"}
    )

    assert response["Location"] == reverse("frontend:home")


def test_a_password_alone_cannot_enrol_a_new_phone_over_an_existing_one(moderator):
    sign_in(Client(), moderator)
    intruder = Client()
    log_in_with_password(intruder, moderator)

    response = intruder.get(SETUP)

    assert response["Location"].startswith(VERIFY)
    assert not TOTPDevice.objects.filter(user=moderator, confirmed=False).exists()


def test_my_account_shows_the_state_and_resets_with_the_password(campaign, moderator):
    client = Client()
    sign_in(client, moderator)

    account = client.get(reverse("frontend:account")).content.decode()
    wrong = client.post(RESET, {"password": "pas-le-bon"})
    right = client.post(RESET, {"password": PASSWORD})

    assert "Double authentification" in account and "Activée" in account
    assert wrong.status_code == 400
    assert "Mot de passe incorrect" in wrong.content.decode()
    assert right["Location"] == SETUP
    assert not TOTPDevice.objects.filter(user=moderator, confirmed=True).exists()
    assert client.get(moderation_url(campaign))["Location"].startswith(SETUP)


def test_the_reset_needs_the_second_factor_first(moderator):
    sign_in(Client(), moderator)
    intruder = Client()
    log_in_with_password(intruder, moderator)

    response = intruder.post(RESET, {"password": PASSWORD})

    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=moderator, confirmed=True).exists()


def test_a_resident_sees_no_second_factor_and_is_sent_away_from_its_pages(client, resident):
    client.force_login(resident)

    account = client.get(reverse("frontend:account")).content.decode()

    assert "Double authentification" not in account
    assert client.get(SETUP)["Location"] == reverse("frontend:account")
    assert client.get(VERIFY)["Location"] == reverse("frontend:home")
    assert not TOTPDevice.objects.exists()


def test_the_pages_need_a_login(client):
    for url in (SETUP, VERIFY, RESET):
        assert client.get(url)["Location"].startswith(LOGIN)


@pytest.mark.parametrize("password", ["", "x" * 5000])
def test_bad_input_on_the_reset_page_is_a_french_error_and_resets_nothing(moderator, password):
    client = Client()
    sign_in(client, moderator)

    response = client.post(RESET, {"password": password})

    assert response.status_code == 400
    assert "Le formulaire contient une erreur" in response.content.decode()
    assert TOTPDevice.objects.filter(user=moderator, confirmed=True).exists()
