"""Error pages in production mode (DEBUG off, as pytest-django runs): French, in the DSFR's
error page layout, with a link home; never Django's debug page nor its bare English one. The
500 and 503 pages render without the database."""

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import path, reverse
from django.utils import translation

from consultation import urls as site
from consultation.models import Campaign

pytestmark = pytest.mark.django_db

ERROR_PAGES = {
    400: "Requête incorrecte",
    403: "Accès refusé",
    404: "Page non trouvée",
    429: "Trop de demandes",
    500: "Erreur inattendue",
    503: "Service indisponible",
}


def assert_french_error_page(response, status: int, heading: str) -> None:
    page = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in page
    assert f"Erreur {status}" in page
    assert 'lang="fr"' in page
    assert '<a class="fr-btn" href="/">Page d' in page  # home
    for english_or_debug in ("Not Found", "Server Error", "Traceback", "Forbidden"):
        assert english_or_debug not in page


@pytest.mark.parametrize(("status", "heading"), ERROR_PAGES.items())
def test_every_error_page_renders_in_french_without_the_database(
    status, heading, django_assert_num_queries
):
    with django_assert_num_queries(0):
        page = render_to_string(f"{status}.html")  # no request: no context processor
    assert f"<h1>{heading}</h1>" in page
    assert "fr-btn" in page and 'href="/"' in page


# --- Results and open data that are not (yet) public ------------------------------------------


@pytest.fixture
def unpublished(campaign):
    campaign.results_visibility = "after_close"  # the campaign is still open
    campaign.save()
    return campaign


@pytest.mark.parametrize("name", ["results", "results_pdf", "open_data"])
def test_results_not_yet_public_answer_the_french_404_page(client, unpublished, name):
    response = client.get(reverse(f"frontend:{name}", args=[unpublished.slug]))

    assert_french_error_page(response, 404, "Page non trouvée")


@pytest.mark.parametrize("name", ["results", "open_data"])
def test_a_campaign_that_does_not_exist_answers_the_french_404_page(client, db, name):
    response = client.get(reverse(f"frontend:{name}", args=["pas-de-campagne"]))

    assert_french_error_page(response, 404, "Page non trouvée")


@pytest.mark.parametrize("name", ["inconnu.csv", "contributions.xml", "datapackage.csv", "..json"])
def test_an_open_data_file_that_does_not_exist_answers_the_french_404_page(client, campaign, name):
    campaign.status = Campaign.Status.CLOSED
    campaign.save()

    response = client.get(reverse("frontend:open_data_file", args=[campaign.slug, name]))

    assert_french_error_page(response, 404, "Page non trouvée")


# --- Other refusals -------------------------------------------------------------------------------


def test_a_form_without_its_csrf_token_gets_the_french_403_page(campaign):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("frontend:login"), {"username": "x", "password": "y"})

    assert_french_error_page(response, 403, "Formulaire expiré")


def test_an_unknown_host_gets_the_french_400_page(client):
    response = client.get("/", HTTP_HOST="concertation.example.org")

    assert_french_error_page(response, 400, "Requête incorrecte")


def _broken(request):
    raise ZeroDivisionError("un bug")


urlpatterns = [path("casse/", _broken), *site.urlpatterns]
handler500 = site.handler500


@pytest.mark.urls(__name__)
def test_a_bug_gets_the_french_500_page(client):
    client.raise_request_exception = False

    response = client.get("/casse/")

    assert_french_error_page(response, 500, "Erreur inattendue")


def test_error_pages_follow_the_language_chosen_with_the_switcher(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    with translation.override("fr"):  # the request activates English in this thread
        page = client.get("/cette-page-n-existe-pas/").content.decode()

    assert "<h1>Page not found</h1>" in page and "Error 404" in page
