from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from consultation.models import Support
from tests.staff import current_code

URL = "/api/v1/auth/token/"
PASSWORD = "mot-de-passe-solide-42"


def test_a_token_is_issued_for_good_credentials_and_works(api, resident, proposal):
    response = api.post(URL, {"email": "Camille@Exemple.fr ", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=resident).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post(f"/api/v1/contributions/{proposal.pk}/support/").status_code == 201
    assert Support.objects.filter(user=resident).exists()


def test_asking_twice_returns_the_same_token(api, resident):
    first = api.post(URL, {"email": resident.email, "password": PASSWORD}, format="json")
    second = api.post(URL, {"email": resident.email, "password": PASSWORD}, format="json")

    assert first.json() == second.json()
    assert Token.objects.count() == 1


def test_bad_credentials_get_one_french_message(api, resident):
    wrong = api.post(URL, {"email": resident.email, "password": "pas-le-bon"}, format="json")
    unknown = api.post(URL, {"email": "personne@exemple.fr", "password": PASSWORD}, format="json")

    for response in (wrong, unknown):
        assert response.status_code == 400
        assert response.json() == {
            "detail": "Adresse électronique ou mot de passe incorrect.",
            "code": "invalid_credentials",
        }
    assert not Token.objects.exists()


def test_a_closed_account_gets_no_token(api, resident):
    resident.is_active = False
    resident.save()

    response = api.post(URL, {"email": resident.email, "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert not Token.objects.exists()


def test_missing_or_mistyped_fields_are_french_400s(api, db):
    missing = api.post(URL, {"email": "camille@exemple.fr"}, format="json")
    mistyped = api.post(URL, {"email": ["a"], "password": "x"}, format="json")

    assert missing.json()["detail"] == "Mot de passe : Ce champ est obligatoire."
    assert mistyped.json()["field"] == "email"


def test_a_bad_token_is_a_french_401(api, proposal):
    api.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")

    response = api.get("/api/v1/contributions/")

    assert response.status_code == 401
    assert response.json()["detail"] == "Token non valide."


def test_guessing_passwords_is_throttled_with_429(api, resident, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "auth_token": "3/min",
        },
    }
    payload = {"email": resident.email, "password": "essai"}

    statuses = [api.post(URL, payload, format="json").status_code for _ in range(4)]
    blocked = api.post(URL, {"email": resident.email, "password": PASSWORD}, format="json")

    assert statuses == [400, 400, 400, 429]
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "throttled"
    assert "Requête ralentie" in blocked.json()["detail"]
    assert not Token.objects.exists()


def test_a_staff_account_gets_a_token_only_with_its_second_factor(api, moderator, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # wrong code then right code, no wall-clock wait
    device = TOTPDevice.objects.create(user=moderator, name="Téléphone", confirmed=True)
    payload = {"email": moderator.email, "password": PASSWORD}

    missing = api.post(URL, payload, format="json")
    wrong = api.post(URL, {**payload, "code": "000000"}, format="json")
    mistyped = api.post(URL, {**payload, "code": 123456}, format="json")
    right = api.post(URL, {**payload, "code": current_code(device)}, format="json")

    assert missing.status_code == 403
    assert missing.json()["code"] == "second_factor_required"
    assert "double authentification" in missing.json()["detail"]
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "invalid_code"
    assert mistyped.status_code == 400
    assert mistyped.json()["field"] == "code"
    assert right.status_code == 200
    assert right.json()["token"] == Token.objects.get(user=moderator).key


def test_a_staff_account_without_a_device_gets_no_token(api, moderator):
    response = api.post(
        URL, {"email": moderator.email, "password": PASSWORD, "code": "123456"}, format="json"
    )

    assert response.status_code == 400
    assert "Aucune double authentification" in response.json()["detail"]
    assert not Token.objects.exists()
