import pytest

from consultation.models import Campaign
from tests import factories


def test_it_lists_areas(api, area):
    factories.AreaFactory(slug="aa", name="Bassin de l'Aa")

    rows = api.get("/api/v1/areas/").json()["results"]

    assert [row["slug"] for row in rows] == ["aa", "canche"]
    assert rows[1]["kind"] == "river_basin"


def test_it_filters_communes_by_area(api, commune):
    factories.CommuneFactory(
        area=factories.AreaFactory(slug="liane", name="Liane"), insee_code="62160"
    )

    rows = api.get("/api/v1/communes/", {"area": "canche"}).json()["results"]

    assert rows == [
        {"insee_code": "62588", "name": "Montreuil-sur-Mer", "postal_code": "", "area": "canche"}
    ]
    assert api.get("/api/v1/communes/", {"area": "inconnu"}).json()["count"] == 0


def test_it_filters_themes_by_campaign(api, theme, other_campaign):
    factories.ThemeFactory(campaign=other_campaign, name="Agriculture")

    rows = api.get("/api/v1/themes/", {"campaign": theme.campaign.slug}).json()["results"]

    assert [(row["slug"], row["campaign"]) for row in rows] == [(theme.slug, theme.campaign.slug)]


def test_themes_of_a_draft_campaign_are_hidden(api, api_as, theme, campaign, organiser):
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)

    assert api.get("/api/v1/themes/").json()["count"] == 0
    assert api_as(organiser).get("/api/v1/themes/").json()["count"] == 1


def test_a_too_long_filter_value_is_a_french_400(api, db):
    response = api.get("/api/v1/communes/", {"area": "a" * 81})

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Paramètre « area » :")


@pytest.mark.parametrize("rows", [5, 50])
def test_lists_cost_the_same_queries_for_5_or_50_rows(
    api, campaign, django_assert_num_queries, rows
):
    for number in range(rows):
        area = factories.AreaFactory(slug=f"zone-{number}", name=f"Zone {number}")
        factories.CommuneFactory(area=area)
        factories.ThemeFactory(campaign=campaign)

    # Each list: 1 count and 1 page (communes with their area, themes with their campaign).
    for url in ["/api/v1/areas/", "/api/v1/communes/", "/api/v1/themes/"]:
        with django_assert_num_queries(2):
            response = api.get(url, {"page_size": 100})
        assert len(response.json()["results"]) == rows
