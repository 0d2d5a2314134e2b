from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from consultation.models import Contribution


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
