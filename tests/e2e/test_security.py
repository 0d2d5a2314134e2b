"""Pages no other browser test opens, in Chromium under the Content-Security-Policy (the
conftest fails a test on any violation): the API documentation (Swagger UI starts from a
script file, not inline), the admin, an error page, a form sent back with errors (focus on
its summary, from a script file), and the DSFR's mobile menu (its script runs)."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.staff import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_api_documentation_runs_under_the_policy(new_page):
    page = new_page()
    page.goto("/api/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("API de la plateforme")
    expect(page.get_by_text("/api/v1/campaigns/").first).to_be_visible()


def test_the_admin_runs_under_the_policy(new_page, live_server, campaign):
    from django.test import Client

    admin = factories.UserFactory(is_staff=True, is_superuser=True, email="admin@exemple.fr")
    client = Client()
    sign_in(client, admin)  # staff pages ask for the second factor (identity/second_factor.py)
    page = new_page()
    page.context.add_cookies(
        [{"name": name, "value": cookie.value, "url": live_server.url}
         for name, cookie in client.cookies.items()]
    )  # fmt: skip

    page.goto(f"/admin/consultation/campaign/{campaign.pk}/change/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto("/admin/consultation/campaign/")
    page.locator("#action-toggle").check()  # the admin's actions.js at work
    expect(page.locator(".action-counter")).to_contain_text("1")


def test_an_error_page_and_a_form_with_errors_run_under_the_policy(new_page, db):
    page = new_page()
    page.goto("/cette-page-n-existe-pas/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page non trouvée")

    page.goto("/compte/connexion/")
    page.get_by_label("Adresse électronique").fill("personne@exemple.fr")
    page.get_by_label(re.compile(r"^Mot de passe")).fill("pas le bon mot de passe")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#erreurs-formulaire")).to_be_focused()


def test_the_dsfr_mobile_menu_opens_under_the_policy(new_page, db):
    page = new_page()
    page.set_viewport_size({"width": 400, "height": 800})
    page.goto("/")

    expect(page.locator("html")).to_have_attribute("data-fr-js", "true")
    page.get_by_role("button", name="Menu").click()
    expect(page.locator("#menu-principal-mobile")).to_be_visible()
