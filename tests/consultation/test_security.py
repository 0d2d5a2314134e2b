"""The Content-Security-Policy on every kind of page, read from real responses: a fresh nonce
each time, none of the sources that would let an injected script run, and pages that need
nothing the policy refuses (no inline script, event handler or style attribute)."""

import json
import re

import pytest
from django.urls import reverse

from tests import factories
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

FORBIDDEN = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:")


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def nonce_of(policy: dict[str, list[str]]) -> str:
    nonces = [v for v in policy["script-src"] if v.startswith("'nonce-")]
    assert len(nonces) == 1, policy["script-src"]
    return nonces[0][len("'nonce-") : -1]


def assert_strict(policy: dict[str, list[str]]) -> None:
    assert policy["script-src"][0] == "'self'"
    assert not set(policy["script-src"]) & set(FORBIDDEN)
    assert not any("'unsafe-eval'" in values for values in policy.values())
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"][0] == "'self'"
    assert policy["connect-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["report-uri"] == ["/csp-report/"]


def what_the_policy_would_refuse(html: str, nonce: str) -> list[str]:
    """Inline scripts and styles without the nonce, event handler and style attributes."""
    refused = []
    for tag, attributes in re.findall(r"<(script|style)\b([^>]*)>", html):
        if tag == "script" and (
            re.search(r"\bsrc=", attributes) or "application/json" in attributes
        ):
            continue  # a file, or data that is never executed
        if f'nonce="{nonce}"' not in attributes:
            refused.append(f"<{tag}{attributes}>")
    refused += re.findall(r"<[a-z][^>]*\son[a-z]+=[^>]*>", html)
    refused += re.findall(r"<[a-z][^>]*\sstyle=[^>]*>", html)
    return refused


def staff_client(client, user):
    sign_in(client, user)  # staff pass their second factor (consultation/identity/second_factor.py)
    return client


@pytest.fixture
def pages(client, campaign, proposal, live_session, facilitator, organiser):
    """(name, client, url) of each kind of page, each as someone who may open it."""
    campaign.results_visibility = "published"
    campaign.save()
    admin = factories.UserFactory(is_staff=True, is_superuser=True, email="admin@exemple.fr")
    anonymous = client
    from django.test import Client

    def as_user(user):
        return staff_client(Client(), user)

    slug, live = campaign.slug, live_session.pk
    return {
        "home": (anonymous, reverse("frontend:home")),
        "campaign": (anonymous, reverse("frontend:campaign", args=[slug])),
        "contribution": (anonymous, reverse("frontend:contribution", args=[slug, proposal.pk])),
        "submit": (as_user(proposal.author), reverse("frontend:submit", args=[slug])),
        "login": (anonymous, reverse("frontend:login")),
        "admin": (as_user(admin), "/admin/consultation/campaign/"),
        "admin login": (anonymous, "/admin/login/"),
        "api docs": (anonymous, reverse("api-docs")),
        "live board": (
            as_user(facilitator),
            reverse("frontend:live_session", args=[live]),
        ),
        "console": (as_user(facilitator), reverse("frontend:live_console", args=[live])),
        "results": (anonymous, reverse("frontend:results", args=[slug])),
        "open data": (anonymous, reverse("frontend:open_data", args=[slug])),
        "workbench": (as_user(organiser), reverse("frontend:workbench_opinions", args=[slug])),
    }


PAGE_NAMES = [
    "home",
    "campaign",
    "contribution",
    "submit",
    "login",
    "admin",
    "admin login",
    "api docs",
    "live board",
    "console",
    "results",
    "open data",
    "workbench",
]


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_every_kind_of_page_carries_a_strict_policy_with_a_fresh_nonce(pages, name):
    client, url = pages[name]

    first, second = client.get(url), client.get(url)

    assert first.status_code == second.status_code == 200, url
    policies = [policy_of(first), policy_of(second)]
    for policy in policies:
        assert_strict(policy)
    assert nonce_of(policies[0]) != nonce_of(policies[1])
    assert what_the_policy_would_refuse(first.content.decode(), nonce_of(policies[0])) == []


def test_the_api_docs_start_up_script_is_a_file_of_their_own(client):
    page = client.get(reverse("api-docs")).content.decode()

    script_url = re.search(r'<script src="([^"]*\?script=[^"]*)"', page).group(1)
    script = client.get(script_url.replace("&amp;", "&"))

    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


def test_a_form_sent_back_with_errors_focuses_its_summary_from_a_file(client):
    response = client.post(reverse("frontend:login"), {"username": "", "password": ""})

    html = response.content.decode()
    assert 'id="erreurs-formulaire"' in html
    assert "frontend/js/form-errors.js" in html
    assert what_the_policy_would_refuse(html, nonce_of(policy_of(response))) == []


def test_the_browsable_api_may_use_inline_styles_but_never_inline_scripts(client, campaign):
    response = client.get("/api/v1/campaigns/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    policy = policy_of(response)
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert_strict(policy)


def test_error_pages_carry_the_policy_too(client):
    response = client.get("/cette-page-n-existe-pas/")

    assert response.status_code == 404
    assert_strict(policy_of(response))


def providers(settings, franceconnect: str, proconnect: str = "") -> None:
    settings.OIDC_PROVIDERS = {
        name: {**settings.OIDC_PROVIDERS[name], "discovery_url": url}
        for name, url in (("franceconnect", franceconnect), ("proconnect", proconnect))
    }


def test_forms_may_go_to_the_configured_identity_providers(client, settings):
    # Logging out (a form in every page's header) ends the provider's session there too.
    providers(
        settings,
        "https://fcp-low.integ01.dev-franceconnect.fr/api/v2/.well-known/openid-configuration",
        "not a url",
    )

    policy = policy_of(client.get(reverse("frontend:home")))

    assert policy["form-action"] == ["'self'", "https://fcp-low.integ01.dev-franceconnect.fr"]


@pytest.mark.parametrize("page", ["frontend:login", "frontend:signup"])
def test_the_pages_with_provider_buttons_let_the_sign_in_pass_through_https_hosts(
    client, settings, page
):
    # A provider where the person is already signed in may send the browser on to their
    # identity provider and back without a click: hosts no one can list in advance.
    providers(settings, "https://fc.example/.well-known/openid-configuration")

    form_action = policy_of(client.get(reverse(page)))["form-action"]

    assert form_action == ["'self'", "https:", "https://fc.example"]
    assert "http:" not in form_action and "*" not in form_action


def test_without_providers_forms_post_to_this_site_only(client, settings):
    providers(settings, "", "")

    assert policy_of(client.get(reverse("frontend:login")))["form-action"] == ["'self'"]
    assert policy_of(client.get(reverse("frontend:home")))["form-action"] == ["'self'"]


# --- Violation reports ----------------------------------------------------------------------------


def test_a_violation_report_is_logged(client, caplog):
    report = {
        "csp-report": {
            "document-uri": "https://concertation.example/c/canche/",
            "blocked-uri": "inline",
            "violated-directive": "script-src-elem",
        }
    }

    response = client.post(
        "/csp-report/", json.dumps(report), content_type="application/csp-report"
    )

    assert response.status_code == 204
    assert "inline bloqué sur https://concertation.example/c/canche/" in caplog.text


@pytest.mark.parametrize(
    "body", [b"", b"{", b"[1, 2]", b'{"csp-report": "texte"}', b"\xff" * 20000]
)
def test_a_malformed_report_is_answered_204_and_logged_without_its_content(client, body, caplog):
    response = client.post("/csp-report/", body, content_type="application/csp-report")

    assert response.status_code == 204
    assert "Violation de la politique" in caplog.text
    assert len(caplog.text) < 2000


def test_reports_are_posted_not_fetched(client):
    assert client.get("/csp-report/").status_code == 405


def test_a_flood_of_reports_fills_no_log(client, caplog):
    for _ in range(40):
        assert (
            client.post("/csp-report/", b"{}", content_type="application/csp-report").status_code
            == 204
        )

    assert caplog.text.count("Violation de la politique") == 30
