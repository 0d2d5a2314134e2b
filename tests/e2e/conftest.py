"""Real-browser tests: Playwright driving Debian's Chromium (/usr/bin/chromium), headless,
against Django's live server. Never a downloaded browser.

Playwright's sync API runs an event loop in the test thread, which makes Django refuse ORM
calls from that thread; the tests set up data and assert on rows from the same thread on
purpose, hence DJANGO_ALLOW_ASYNC_UNSAFE for this package only.
"""

import os
import shutil

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import IN_CI
from tests.staff import sign_in

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.e2e

# Playwright's assertions wait 5 s by default: a ceiling a loaded CI machine (load 5 to 12 on
# two cores) can reach while a page is still drawing. The same ceiling as the actions'.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="package")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        message = f"Chromium introuvable ({CHROMIUM}) : installez le paquet Debian chromium"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Package scope and a restored environment: Playwright's event loop and this permission
    # must end with the browser tests, or later tests that use async_to_sync would break.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            # launch() gives Chromium a fresh temporary profile of its own.
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# --- Every page runs under the Content-Security-Policy ------------------------------------------
# Chromium reports each refusal in the console ("Refused to execute inline script because it
# violates the following Content Security Policy directive ...") and fires
# securitypolicyviolation on the document: either fails the test, so every browser test also
# proves its pages work under the policy.

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
});
"""


def watch_policy_violations(context, violations: list[str]) -> None:
    """Collect the context's Content-Security-Policy violations (all its pages) in `violations`."""

    def on_console(message):
        text = message.text
        if "Content Security Policy" in text or text.startswith("CSP violation"):
            violations.append(f"{message.page.url if message.page else '?'}: {text}")

    context.add_init_script(REPORT_VIOLATIONS)  # injected by Playwright, not by the page
    context.on("console", on_console)


def fail_on_policy_violations(violations: list[str]) -> None:
    if violations:
        pytest.fail("Violations de la CSP :\n" + "\n".join(violations[:20]), pytrace=False)


@pytest.fixture
def new_page(browser, live_server):
    """Open a fresh browser context (its own cookies) on the live server."""
    contexts = []
    violations: list[str] = []

    def open_page(locale: str = "fr-FR"):
        context = browser.new_context(base_url=live_server.url, locale=locale)
        context.set_default_timeout(15_000)
        watch_policy_violations(context, violations)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    fail_on_policy_violations(violations)


def serious_accessibility_issues(page) -> list[str]:
    """axe-core's serious and critical violations on the page, as readable lines."""
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


# --- A live server that also serves websockets (the live boards) ------------------------------
# Django's live_server speaks HTTP only. The live boards need Daphne: it runs as a child process
# on the test database (PostgreSQL: the rows the test writes are committed, transaction=True),
# with the same channel layer as the test (Redis in the services pass), so actions the test runs
# itself reach the browsers too.


@pytest.fixture
def daphne_server(transactional_db):
    import subprocess
    import sys
    import tempfile
    from pathlib import Path
    from urllib.parse import urlsplit, urlunsplit

    from django.db import connection

    from tests.conftest import require_postgresql
    from tests.services import _wait_for_port, free_port, stop_process

    require_postgresql(connection)
    base = urlsplit(os.environ["DATABASE_URL"])
    database_url = urlunsplit(base._replace(path="/" + connection.settings_dict["NAME"]))
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "consultation.settings",
        "DEBUG": "true",
    }
    port = free_port()
    root = Path(__file__).resolve().parents[2]
    with tempfile.NamedTemporaryFile(prefix="daphne-e2e-", suffix=".log") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
             "consultation.asgi:application"],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            _wait_for_port(port, process, "daphne")
            yield f"http://127.0.0.1:{port}"
        finally:
            stop_process(process)
            text = Path(log.name).read_text(errors="replace")
            if "Traceback" in text:
                print(f"--- journal de Daphne ---\n{text[-6000:]}")


@pytest.fixture
def new_live_page(browser, daphne_server):
    """Like new_page, on the Daphne server; `user` logs the context in (session cookie)."""
    from django.conf import settings
    from django.test import Client

    contexts = []
    violations: list[str] = []

    def open_page(user=None, locale: str = "fr-FR", javascript: bool = True):
        context = browser.new_context(
            base_url=daphne_server, locale=locale, java_script_enabled=javascript
        )
        context.set_default_timeout(15_000)
        watch_policy_violations(context, violations)
        if user is not None:
            client = Client()
            sign_in(client, user)
            name = settings.SESSION_COOKIE_NAME  # __Host-sessionid in production mode
            context.add_cookies(
                [{"name": name, "value": client.cookies[name].value, "url": daphne_server}]
            )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    fail_on_policy_violations(violations)


# --- Staff second factor in the browser -------------------------------------------------------


def pass_second_factor(page) -> None:
    """After the password, a staff account is asked to enrol or for its code: answer as a
    person with an authenticator app would (the code computed from the secret shown, or from
    the device enrolled earlier). A resident's page is left alone."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.staff import code_from_secret, current_code

    page.wait_for_load_state()
    if "/compte/double-authentification/activer/" in page.url:
        secret = page.locator("#cle-secrete").inner_text()
        page.get_by_label("Code affiché par l'application").fill(code_from_secret(secret))
        page.get_by_role("button", name="Activer la double authentification").click()
        page.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    elif "/compte/double-authentification/" in page.url:
        email = _signed_in_email(page)
        device = TOTPDevice.objects.get(user__email=email, confirmed=True)
        # The next 30 s's code: the one used at enrolment cannot be used twice.
        page.get_by_label("Code de vérification").fill(current_code(device, steps_ahead=1))
        page.get_by_role("button", name="Valider le code").click()
    page.wait_for_load_state()


def _signed_in_email(page) -> str:
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from consultation.models import User

    name = settings.SESSION_COOKIE_NAME
    cookie = next(c for c in page.context.cookies() if c["name"] == name)
    user_id = SessionStore(session_key=cookie["value"]).get("_auth_user_id")
    return User.objects.get(pk=user_id).email
