"""A database outage answered 503 in French with Retry-After, then service again once the
database is back: a real PostgreSQL (private to the test, so stopping it disturbs no other
test) stopped and restarted under a running Daphne.

Run: `.venv/bin/python -m tests.services -- .venv/bin/pytest -q -m postgres
tests/consultation/test_outage.py` (needs PostgreSQL's binaries; the services pass runs it).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest
from django.urls import path

from consultation import urls as site_urls
from consultation.outage import RETRY_AFTER_SECONDS
from tests.conftest import IN_CI
from tests.services import (
    PostgresServer,
    ServiceUnavailable,
    _wait_for_port,
    free_port,
    stop_process,
)

ROOT = Path(__file__).resolve().parents[2]

# An open campaign, a resident and their API token, written by the server's own settings.
SEED = """
import json
from rest_framework.authtoken.models import Token
from tests import factories
campaign = factories.CampaignFactory()
factories.PhaseFactory(campaign=campaign)
resident = factories.UserFactory(email="camille@exemple.fr")
print(json.dumps({"slug": campaign.slug, "token": Token.objects.create(user=resident).key}))
"""


@pytest.fixture
def database():
    server = PostgresServer()
    try:
        server.start()
    except ServiceUnavailable as error:
        pytest.fail(str(error)) if IN_CI else pytest.skip(str(error))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def site(database):
    """Daphne on the private database; yields (base URL, seeded data)."""
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "DJANGO_SETTINGS_MODULE": "consultation.settings",
        # The outage middleware answers the same with DEBUG off; DEBUG on spares a
        # collectstatic (production's static files storage needs its manifest).
        "DEBUG": "true",
        "RATE_LIMIT_CONTRIBUTION": "2/h",
    }
    env.pop("REDIS_URL", None)  # the cache (rate-limit counters) in Daphne's own memory

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
            text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    manage("migrate", "--noinput", "--verbosity", "0")
    seeded = json.loads(manage("shell", "--no-imports", "-c", SEED).strip().splitlines()[-1])
    port = free_port()
    with tempfile.NamedTemporaryFile(prefix="daphne-outage-", suffix=".log") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
             "consultation.asgi:application"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            _wait_for_port(port, process, "daphne")
            yield f"http://127.0.0.1:{port}", seeded
        finally:
            stop_process(process)


def requests(base: str, seeded: dict) -> dict[str, httpx.Response]:
    """A page, a page that reads the campaign, an API read and an API write."""
    auth = {"Authorization": f"Token {seeded['token']}"}
    contribution = {
        "campaign": seeded["slug"],
        "kind": "proposal",
        "title": "Recréer des haies contre le ruissellement",
        "body": "Planter des haies le long des champs en pente pour freiner l'eau.",
    }
    with httpx.Client(base_url=base, timeout=60) as client:
        return {
            "home": client.get("/"),
            "campaign": client.get(f"/c/{seeded['slug']}/"),
            "api read": client.get("/api/v1/campaigns/"),
            "api write": client.post("/api/v1/contributions/", json=contribution, headers=auth),
        }


@pytest.mark.postgres
def test_a_database_outage_is_a_french_503_with_retry_after_then_service_resumes(database, site):
    base, seeded = site
    before = requests(base, seeded)
    assert {name: r.status_code for name, r in before.items()} == {
        "home": 200,
        "campaign": 200,
        "api read": 200,
        "api write": 201,
    }

    database.pause()
    try:
        during = requests(base, seeded)
        during_too = requests(base, seeded)  # nothing written: the limit (2/h) is not used up
    finally:
        database.resume()
    after = requests(base, seeded)

    for response in [*during.values(), *during_too.values()]:
        assert response.status_code == 503, response.text[:500]
        assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    for name in ("home", "campaign"):
        page = during[name].text
        assert "<h1>Service indisponible</h1>" in page
        assert "Erreur 503" in page and 'href="/"' in page
        assert "Traceback" not in page and "OperationalError" not in page
    for name in ("api read", "api write"):
        assert during[name].json() == {
            "detail": "Le service est momentanément indisponible : rien n'a été enregistré. "
            "Merci de réessayer dans quelques instants.",
            "code": "service_unavailable",
        }
    assert {name: r.status_code for name, r in after.items()} == {
        "home": 200,
        "campaign": 200,
        "api read": 200,
        "api write": 201,  # the second written contribution of the hour: still allowed
    }
    third = requests(base, seeded)["api write"]
    assert third.status_code == 429  # the third written one is over the limit


# --- Which errors are an outage -----------------------------------------------------------------


def _pool_exhausted(request):
    from psycopg_pool import PoolTimeout

    raise PoolTimeout("couldn't get a connection after 10.00 sec")


def _programming_mistake(request):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM table_qui_n_existe_pas")


urlpatterns = [
    path("pool/", _pool_exhausted),
    path("api/pool/", _pool_exhausted),
    path("erreur-sql/", _programming_mistake),
    *site_urls.urlpatterns,
]
handler500 = site_urls.handler500


@pytest.mark.urls(__name__)
def test_an_exhausted_connection_pool_is_an_outage_too(client):
    page, api = client.get("/pool/"), client.get("/api/pool/")

    assert page.status_code == api.status_code == 503
    assert page["Retry-After"] == api["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "<h1>Service indisponible</h1>" in page.content.decode()
    assert api.json()["code"] == "service_unavailable"


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_database_error_while_the_database_answers_stays_a_500(client):
    client.raise_request_exception = False

    response = client.get("/erreur-sql/")

    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "<h1>Erreur inattendue</h1>" in response.content.decode()
