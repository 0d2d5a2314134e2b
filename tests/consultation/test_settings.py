"""Settings come from the environment and fail loudly: each case starts a fresh process, as a
deployment would, so nothing of the test run's own settings leaks in."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_KEY = "k3Y-pour-les-tests-seulement-" + "x7Qz" * 10
LAPTOP = {"DEBUG": "true"}
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": PRODUCTION_KEY,
    "ALLOWED_HOSTS": "concertation.pas-de-calais.gouv.fr",
}

SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "debug": s.DEBUG,
    "database": s.DATABASES["default"]["ENGINE"],
    "database_name": s.DATABASES["default"]["NAME"],
    "database_pool": s.DATABASES["default"].get("OPTIONS", {}).get("pool"),
    "connection_lifetime": s.DATABASES["default"].get("CONN_MAX_AGE"),
    "channel_layer": s.CHANNEL_LAYERS["default"]["BACKEND"],
    "channel_hosts": s.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts"),
    "cache": s.CACHES["default"]["BACKEND"],
    "cache_location": s.CACHES["default"].get("LOCATION"),
    "cookies": {
        name: getattr(s, name)
        for prefix in ("SESSION_COOKIE_", "CSRF_COOKIE_")
        for name in (prefix + "NAME", prefix + "SECURE", prefix + "PATH", prefix + "DOMAIN")
    },
}))
"""


def run(args: list[str], **variables: str) -> subprocess.CompletedProcess:
    # The test decides every variable the settings read, and the surrounding shell none (nor
    # the test run's own switches, such as the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE).
    ignored = variables_read_by_settings() | {"DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in ignored}
    env.update(DJANGO_SETTINGS_MODULE="consultation.settings", **variables)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def settings_with(**variables: str) -> dict:
    result = run(["-c", SHOW_SETTINGS], **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_deployment_check_is_silent_in_production_mode():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "secret_key",
    [None, "", "trop-court", "insecure-development-key-never-use-in-production-at-all-x"],
    ids=["missing", "empty", "short", "development-key"],
)
def test_production_mode_refuses_to_start_without_a_real_secret_key(secret_key):
    variables = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    if secret_key is not None:
        variables["SECRET_KEY"] = secret_key
    result = run(["manage.py", "check"], **variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY manquante ou trop courte" in result.stderr


def test_production_mode_refuses_to_start_without_allowed_hosts():
    variables = {k: v for k, v in PRODUCTION.items() if k != "ALLOWED_HOSTS"}
    result = run(["manage.py", "check"], **variables)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS doit être défini" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "peut-être", "DEBUG='peut-être' n'est pas une valeur booléenne"),
        ("SECURE_SSL_REDIRECT", "2", "SECURE_SSL_REDIRECT='2' n'est pas une valeur booléenne"),
        ("SECURE_HSTS_SECONDS", "un an", "SECURE_HSTS_SECONDS='un an' n'est pas un nombre"),
    ],
)
def test_a_malformed_value_stops_the_process_with_a_french_message(name, value, message):
    result = run(["manage.py", "check"], **{**PRODUCTION, name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_a_malformed_connection_lifetime_stops_the_process():
    result = run(
        ["manage.py", "check"],
        **LAPTOP,
        DATABASE_URL="postgres://concertation@db:5432/concertation",
        CONN_MAX_AGE="toujours",
    )
    assert result.returncode != 0
    assert "CONN_MAX_AGE='toujours' n'est pas un nombre entier" in result.stderr


def test_booleans_are_understood_in_english_and_in_french():
    assert (
        settings_with(DEBUG="non", SECRET_KEY=PRODUCTION_KEY, ALLOWED_HOSTS="x")["debug"] is False
    )
    assert settings_with(DEBUG="Oui")["debug"] is True


def test_with_nothing_set_the_process_is_in_production_mode_and_asks_for_a_secret_key():
    result = run(["manage.py", "check"])
    assert result.returncode != 0
    assert "SECRET_KEY manquante ou trop courte" in result.stderr


def test_with_debug_set_a_laptop_runs_on_sqlite_and_in_memory_layers():
    current = settings_with(**LAPTOP)
    assert current["debug"] is True
    assert current["database"] == "django.db.backends.sqlite3"
    assert current["channel_layer"] == "channels.layers.InMemoryChannelLayer"
    assert current["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_database_url_and_redis_url_switch_to_postgresql_and_redis():
    current = settings_with(
        **LAPTOP,
        DATABASE_URL="postgres://concertation:secret@db:5432/concertation",
        REDIS_URL="redis://redis:6379/0",
    )
    assert current["database"] == "django.db.backends.postgresql"
    assert current["database_name"] == "concertation"
    assert current["channel_layer"] == "channels_redis.core.RedisChannelLayer"
    assert current["channel_hosts"] == ["redis://redis:6379/0?socket_timeout=15"]
    assert current["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert current["cache_location"] == "redis://redis:6379/0"


# --- The deployment files agree with the settings -------------------------------------------

COMPOSE_ONLY = {"POSTGRES_PASSWORD", "HTTP_PORT"}


def variables_read_by_settings() -> set[str]:
    source = (ROOT / "consultation" / "settings.py").read_text()
    return set(re.findall(r"env(?:_bool|_int|\.\w+)\(\s*\"([A-Z_]+)\"", source))


def documented_variables() -> dict[str, str]:
    """Every NAME=value of .env.example, commented out or not."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    pairs = (re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line) for line in lines)
    return {m.group(1): m.group(2) for m in pairs if m}


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_variable_the_settings_read_is_documented_in_french_and_nothing_else():
    documented = set(documented_variables())
    assert variables_read_by_settings() - documented == set()
    assert documented - variables_read_by_settings() == COMPOSE_ONLY
    assert "Clé secrète" in (ROOT / ".env.example").read_text()


def test_the_compose_file_describes_the_production_shape():
    services = compose()["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "http", "votes", "worker", "proxy"}
    assert services["db"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    assert services["web"]["deploy"]["replicas"] == 2
    assert services["web"]["command"][0] == "daphne"  # websockets
    assert services["http"]["command"][:2] == ["gunicorn", "consultation.wsgi:application"]
    assert services["votes"]["command"][:2] == ["uvicorn", "consultation.asgi:application"]
    assert "db_worker" in services["worker"]["command"]
    assert "migrate" in " ".join(services["migrate"]["command"])
    for name in ("db", "redis", "web"):
        assert services[name]["healthcheck"]["test"], name
    web_waits_for = services["web"]["depends_on"]
    assert web_waits_for["migrate"]["condition"] == "service_completed_successfully"
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    nginx = compose()["configs"]["nginx"]["content"].replace("$$", "$")
    assert "proxy_set_header Upgrade $http_upgrade;" in nginx
    assert "server web:8000;" in nginx and "server http:8000;" in nginx
    websockets = nginx.index("location /ws/")
    assert nginx.index("proxy_pass http://concertation_web;", websockets) < nginx.index(
        "location / {"
    )
    # The vote routes go to uvicorn (consultation/api/fastvotes.py), nothing else does.
    votes = re.search(r"location ~ (\S+) \{\s+proxy_pass http://concertation_votes;", nginx)
    route = re.compile(votes.group(1))
    assert route.search("/api/v1/contributions/12/support/")
    assert route.search("/api/v1/statements/7/vote/")
    others = [
        "/api/v1/contributions/12/",
        "/api/v1/contributions/12/follow/",
        "/api/v1/statements/7/vote/x",
        "/c/canche/contributions/12/support/",
    ]
    assert [path for path in others if route.search(path)] == []


def test_the_app_services_only_set_variables_the_settings_read():
    settings_variables = variables_read_by_settings()
    for name in ("migrate", "web", "http", "votes", "worker"):
        service = compose()["services"][name]
        assert service["env_file"] == ".env"
        assert set(service["environment"]) <= settings_variables, name
    tasks_backend = compose()["services"]["worker"]["environment"]["TASKS_BACKEND"]
    assert tasks_backend == "django_tasks_db.DatabaseBackend"


def test_the_documented_production_configuration_passes_the_deployment_check():
    variables = {k: v for k, v in documented_variables().items() if k not in COMPOSE_ONLY}
    variables.update(compose()["services"]["web"]["environment"])
    variables["DATABASE_URL"] = "postgres://concertation:motdepasse@db:5432/concertation"
    variables.update(SECRET_KEY=PRODUCTION_KEY, MEDIA_ROOT=str(ROOT / "media"))
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **variables)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_pool_size_gives_each_process_a_pool_of_postgresql_connections():
    url = "postgres://concertation:secret@db:5432/concertation"
    pooled = settings_with(**LAPTOP, DATABASE_URL=url, DATABASE_POOL_SIZE="10")
    assert pooled["database_pool"] == {"min_size": 1, "max_size": 10, "timeout": 10}
    assert pooled["connection_lifetime"] == 0
    plain = settings_with(**LAPTOP, DATABASE_URL=url)
    assert plain["database_pool"] is None
    assert plain["connection_lifetime"] == 60


SHOW_IDENTITY_PROVIDERS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({"providers": s.OIDC_PROVIDERS, "staff_acr": s.PROCONNECT_STAFF_ACR}))
"""


def test_identity_providers_are_off_unless_set_and_read_from_the_environment():
    result = run(["-c", SHOW_IDENTITY_PROVIDERS], **LAPTOP)
    assert result.returncode == 0, result.stderr
    off = json.loads(result.stdout)
    assert [p["discovery_url"] for p in off["providers"].values()] == ["", ""]
    assert off["providers"]["franceconnect"]["acr_values"] == ["eidas1"]

    result = run(
        ["-c", SHOW_IDENTITY_PROVIDERS],
        **PRODUCTION,
        PROCONNECT_DISCOVERY_URL="https://pc.example/.well-known/openid-configuration",
        PROCONNECT_CLIENT_ID="client",
        PROCONNECT_CLIENT_SECRET="secret",
        PROCONNECT_SCOPES="openid,email,siret",
        PROCONNECT_STAFF_ACR="https://proconnect.gouv.fr/assurance/consistency-checked-2fa",
    )
    assert result.returncode == 0, result.stderr
    on = json.loads(result.stdout)
    assert on["providers"]["proconnect"]["scopes"] == ["openid", "email", "siret"]
    assert on["staff_acr"] == ["https://proconnect.gouv.fr/assurance/consistency-checked-2fa"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {
                **LAPTOP,
                "FRANCECONNECT_DISCOVERY_URL": "https://fc.example/.well-known/openid-configuration",
            },
            "FRANCECONNECT_CLIENT_ID et FRANCECONNECT_CLIENT_SECRET doivent l'être aussi",
        ),
        (
            {
                **PRODUCTION,
                "PROCONNECT_DISCOVERY_URL": "http://pc.example/.well-known/openid-configuration",
                "PROCONNECT_CLIENT_ID": "client",
                "PROCONNECT_CLIENT_SECRET": "secret",
            },
            "PROCONNECT_DISCOVERY_URL doit commencer par https://",
        ),
    ],
    ids=["missing-client", "plain-http-in-production"],
)
def test_a_half_configured_identity_provider_stops_the_process(variables, message):
    result = run(["manage.py", "check"], **variables)
    assert result.returncode != 0
    assert message in result.stderr


# --- __Host- cookies in production -------------------------------------------------------------


def test_production_mode_names_the_session_and_csrf_cookies_with_the_host_prefix():
    cookies = settings_with(**PRODUCTION)["cookies"]
    assert cookies == {
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_PATH": "/",
        "CSRF_COOKIE_DOMAIN": None,
    }
    # On a laptop (plain HTTP), a __Host- cookie would be refused by the browser.
    assert settings_with(**LAPTOP)["cookies"]["SESSION_COOKIE_NAME"] == "sessionid"


@pytest.mark.django_db
def test_signing_in_over_https_in_production_sets_host_prefixed_secure_cookies(client, settings):
    """The production settings (read from a fresh process) on a real sign-in: the browser
    receives __Host- cookies, Secure, Path=/, without Domain, or it would refuse them."""
    from django.urls import reverse

    from tests import factories

    for name, value in settings_with(**PRODUCTION)["cookies"].items():
        setattr(settings, name, value)
    factories.UserFactory(email="camille@exemple.fr", password="un mot de passe solide")
    login = reverse("frontend:login")

    page = client.get(login, secure=True)
    signed_in = client.post(
        login,
        {"username": "camille@exemple.fr", "password": "un mot de passe solide"},
        secure=True,
    )

    assert signed_in.status_code == 302
    for response, name in [(page, "__Host-csrftoken"), (signed_in, "__Host-sessionid")]:
        header = response.cookies[name].output().lower()
        assert "; secure" in header and "; path=/" in header
        assert "domain=" not in header
    assert "sessionid" not in signed_in.cookies and "csrftoken" not in page.cookies
