from datetime import timedelta

import pytest
from django.utils import timezone

from consultation.models import Campaign
from tests import factories

URL = "/api/v1/campaigns/"


def _slugs(response):
    return [row["slug"] for row in response.json()["results"]]


def test_a_campaign_comes_with_its_phases_themes_and_current_phase(api, campaign, theme, area):
    campaign.areas.add(area)
    now = timezone.now()
    factories.PhaseFactory(
        campaign=campaign,
        kind="synthesis",
        title="Synthèse",
        position=2,
        starts_at=now + timedelta(days=30),
        ends_at=now + timedelta(days=40),
    )

    body = api.get(f"{URL}{campaign.slug}/").json()

    assert [phase["title"] for phase in body["phases"]] == ["Contributions", "Synthèse"]
    assert [phase["is_current"] for phase in body["phases"]] == [True, False]
    assert body["current_phase"]["title"] == "Contributions"
    assert body["themes"] == [{"slug": theme.slug, "name": theme.name}]
    assert body["areas"] == ["canche"]
    assert body["organisation"] == "Préfecture du Pas-de-Calais"


def test_between_phases_the_current_phase_is_null(api, campaign):
    campaign.phases.update(
        starts_at=timezone.now() - timedelta(days=9), ends_at=timezone.now() - timedelta(days=1)
    )

    assert api.get(f"{URL}{campaign.slug}/").json()["current_phase"] is None


def test_drafts_are_404_except_for_their_staff(api, api_as, campaign, resident, organiser):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)

    assert api.get(f"{URL}{campaign.slug}/").status_code == 404
    assert api_as(resident).get(f"{URL}{campaign.slug}/").status_code == 404
    assert campaign.slug not in _slugs(api_as(resident).get(URL))
    assert api_as(organiser).get(f"{URL}{campaign.slug}/").status_code == 200
    assert campaign.slug in _slugs(api_as(organiser).get(URL))


def test_unlisted_campaigns_open_by_link_but_are_not_listed(api, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(visibility=Campaign.Visibility.UNLISTED)

    assert campaign.slug not in _slugs(api.get(URL))
    assert api.get(f"{URL}{campaign.slug}/").status_code == 200


def test_an_unknown_campaign_is_a_french_404(api, db):
    response = api.get(f"{URL}nulle-part/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_campaigns_are_read_only(api_as, campaign, organiser):
    response = api_as(organiser).post(URL, {"title": "Nouvelle"}, format="json")

    assert response.status_code == 405
    assert Campaign.objects.count() == 1


@pytest.mark.parametrize("rows", [5, 50])
def test_the_list_costs_the_same_queries_for_5_or_50_rows(api, db, django_assert_num_queries, rows):
    for campaign in factories.CampaignFactory.create_batch(rows):
        factories.PhaseFactory(campaign=campaign)
        factories.ThemeFactory(campaign=campaign)
        campaign.areas.add(factories.AreaFactory())

    # 1 count, 1 page with organisations, then 1 each for phases, themes and areas.
    with django_assert_num_queries(5):
        response = api.get(URL, {"page_size": 100})

    assert len(response.json()["results"]) == rows
