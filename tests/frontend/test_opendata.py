"""The open data page and its files: same visibility as the results, the Etalab licence said,
every file downloadable with its type; unknown names are not found."""

import json

import pytest
from django.urls import reverse

from consultation import opendata
from consultation.models import Campaign
from tests import factories
from tests.consultation.test_opendata import validate_package
from tests.staff import sign_in

pytestmark = pytest.mark.django_db


def page_url(campaign):
    return reverse("frontend:open_data", args=[campaign.slug])


def file_url(campaign, name):
    return reverse("frontend:open_data_file", args=[campaign.slug, name])


@pytest.fixture
def closed(campaign):
    campaign.status = Campaign.Status.CLOSED
    campaign.save()
    return campaign


def test_the_page_lists_every_file_and_states_the_licence(client, closed):
    response = client.get(page_url(closed))
    assert response.status_code == 200
    page = response.content.decode()
    assert "licence ouverte Etalab 2.0" in page
    assert "https://www.etalab.gouv.fr/licence-ouverte-open-licence/" in page
    for name in opendata.file_names():
        assert f'href="{file_url(closed, name)}"' in page


def test_the_files_served_are_the_package_and_validate(client, closed, proposal, resident):
    factories.CommentFactory(contribution=proposal, author=resident)
    files = {}
    for name in opendata.file_names():
        response = client.get(file_url(closed, name))
        assert response.status_code == 200, name
        expected = "text/csv" if name.endswith(".csv") else "application/json"
        assert response["Content-Type"] == f"{expected}; charset=utf-8"
        files[name] = response.content
    tables = validate_package(files)
    assert [row["titre"] for row in tables["contributions"]] == [proposal.title]
    assert resident.email.encode() not in b"".join(files.values())
    assert json.loads(files["datapackage.json"])["licenses"][0]["name"] == "etalab-2.0"


@pytest.mark.parametrize("name", ["users.csv", "contributions.xlsx", "..%2Fsettings.py", "x"])
def test_an_unknown_file_is_not_found(client, closed, name):
    assert client.get(file_url(closed, name)).status_code == 404


def test_before_the_results_are_public_only_staff_get_the_data(client, campaign, moderator):
    campaign.results_visibility = "after_close"
    campaign.save()
    assert client.get(page_url(campaign)).status_code == 404
    assert client.get(file_url(campaign, "contributions.csv")).status_code == 404
    sign_in(client, moderator)
    response = client.get(page_url(campaign))
    assert response.status_code == 200
    assert "Aperçu, pas encore public" in response.content.decode()
    assert client.get(file_url(campaign, "contributions.csv")).status_code == 200


def test_hidden_results_keep_the_data_hidden_even_after_closing(client, closed, resident):
    closed.results_visibility = "hidden"
    closed.save()
    client.force_login(resident)
    assert client.get(page_url(closed)).status_code == 404
    assert client.get(file_url(closed, "datapackage.json")).status_code == 404
