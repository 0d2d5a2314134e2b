from django.conf import settings
from django.utils.crypto import get_random_string
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from consultation.models import Contribution, Support


def test_an_unsupported_media_type_is_a_french_415(api_as, campaign, resident):
    response = api_as(resident).post(
        "/api/v1/contributions/", data="titre=Crue", content_type="text/plain"
    )

    assert response.status_code == 415
    assert response.json() == {
        "detail": "Type de média «\xa0text/plain\xa0» non supporté.",
        "code": "unsupported_media_type",
    }
    assert not Contribution.objects.exists()


def test_a_form_encoded_post_is_validated_like_json(api_as, campaign, resident):
    response = api_as(resident).post(
        "/api/v1/contributions/",
        {"campaign": campaign.slug, "kind": "question", "title": "", "body": "Un long texte."},
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "Titre : Ce champ ne peut être vide."


def test_anonymous_reads_are_throttled_with_a_french_429(api, campaign, monkeypatch):
    # DRF reads the rates once at import time: patch them where the throttles look.
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "5/min"})

    statuses = [api.get("/api/v1/campaigns/").status_code for _ in range(4)]
    blocked = api.get("/api/v1/campaigns/")

    assert statuses == [200, 200, 200, 429]
    assert blocked.json()["code"] == "throttled"
    assert blocked.json()["detail"].startswith("Requête ralentie.")
    assert int(blocked["Retry-After"]) > 0


def test_people_with_an_account_are_throttled_too(api_as, campaign, resident, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "2/min"})
    client = api_as(resident)

    statuses = [client.get("/api/v1/campaigns/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_a_session_write_without_csrf_token_is_a_french_403(campaign, proposal, resident):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(resident)

    response = client.post(f"/api/v1/contributions/{proposal.pk}/support/")

    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert response.json()["detail"].startswith("Vérification CSRF échouée")
    assert not Support.objects.exists()


def test_a_session_write_with_its_csrf_token_goes_through(campaign, proposal, resident):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(resident)
    token = get_random_string(32)  # what the site's pages put in the csrftoken cookie
    client.cookies[settings.CSRF_COOKIE_NAME] = token

    response = client.post(f"/api/v1/contributions/{proposal.pk}/support/", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 201
