"""A real OpenID Connect provider for the tests: server.mjs (npm oidc-provider) in a child
process, configured like FranceConnect v2 or ProConnect, and a small "person at the provider"
that fills its login and consent forms over HTTP.

The fixtures `franceconnect_provider` and `proconnect_provider` (tests/oidc_provider/fixtures.py)
start one per test session; without Node and npm they skip on a laptop and fail in CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import httpx

from tests.services import _wait_for_port, free_port, stop_process

HERE = Path(__file__).resolve().parent
CLIENT_ID = "plateforme-de-concertation"
CLIENT_SECRET = "secret-de-test-assez-long-pour-le-fournisseur-0123456789"
PROCONNECT_2FA = "https://proconnect.gouv.fr/assurance/self-asserted-2fa"
PROCONNECT_PLAIN = "https://proconnect.gouv.fr/assurance/self-asserted"
# Our site as the provider knows it: the test client (127.0.0.1) and Django's live server
# (localhost), on any port.
HOSTS = ("127.0.0.1", "localhost")
# oidc-provider 8 supports Node.js 18 LTS (18.12) and later: Debian 12 ships 18.19. (Its
# version 9 needs 20.18.)
MINIMUM_NODE = (18, 12)

ACCOUNTS = {
    "franceconnect": [
        {
            "login": "camille",
            "password": "mot-de-passe-camille",
            "sub": "fc-sub-camille-0001",
            "claims": {
                "given_name": "Camille",
                "family_name": "Martin",
                "email": "camille.martin@example.fr",
            },
            "acr": "eidas1",
            "amr": ["pwd"],
        },
        {
            "login": "dominique",
            "password": "mot-de-passe-dominique",
            "sub": "fc-sub-dominique-0002",
            "claims": {
                "given_name": "Dominique",
                "family_name": "Bernard",
                "email": "dominique.bernard@example.fr",
            },
            "acr": "eidas1",
            "amr": ["pwd"],
        },
        {
            # Refuses to share an email address (FranceConnect lets a person untick it).
            "login": "sans-courriel",
            "password": "mot-de-passe-sans-courriel",
            "sub": "fc-sub-sans-courriel-0003",
            "claims": {"given_name": "Sacha", "family_name": "Petit"},
            "acr": "eidas1",
            "amr": ["pwd"],
        },
    ],
    "proconnect": [
        {
            "login": "agent-2fa",
            "password": "mot-de-passe-agent-2fa",
            "sub": "pc-sub-agent-2fa",
            "claims": {
                "given_name": "Alex",
                "usual_name": "Durand",
                "email": "alex.durand@pas-de-calais.gouv.fr",
                "uid": "agent-2fa-uid",
                "siret": "13000000000011",
            },
            "acr": PROCONNECT_2FA,
            "amr": ["pwd", "totp", "mfa"],
        },
        {
            "login": "agent",
            "password": "mot-de-passe-agent",
            "sub": "pc-sub-agent",
            "claims": {
                "given_name": "Morgane",
                "usual_name": "Leroy",
                "email": "morgane.leroy@pas-de-calais.gouv.fr",
                "uid": "agent-uid",
                "siret": "13000000000022",
            },
            "acr": PROCONNECT_PLAIN,
            "amr": ["pwd"],
        },
    ],
}


def node_missing() -> str | None:
    """Why the provider cannot run here, or None."""
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            return f"{tool} introuvable : installez les paquets Debian nodejs et npm"
    version = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
    major, minor = (int(part) for part in version.strip().lstrip("v").split(".")[:2])
    if (major, minor) < MINIMUM_NODE:
        return f"oidc-provider 8 demande Node.js 18.12 ou plus récent (trouvé : {version.strip()})"
    return None


def installed_version(package: str) -> str | None:
    manifest = HERE / "node_modules" / package / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.exists() else None


def install_node_modules() -> None:
    """npm ci when node_modules lacks the versions package.json pins (a first run, or a
    node_modules left by an earlier pin)."""
    pinned = json.loads((HERE / "package.json").read_text())["dependencies"]
    if any(installed_version(name) != version for name, version in pinned.items()):
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, capture_output=True
        )


@dataclass
class OidcProvider:
    """server.mjs on a free loopback port. `base_url` is its issuer."""

    profile: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def discovery_url(self) -> str:
        return f"{self.base_url}/.well-known/openid-configuration"

    def django_settings(self) -> dict:
        """This provider's entry for settings.OIDC_PROVIDERS."""
        scopes = {
            "franceconnect": ["openid", "given_name", "family_name", "email"],
            "proconnect": ["openid", "given_name", "usual_name", "email", "uid", "siret"],
        }[self.profile]
        return {
            "discovery_url": self.discovery_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scopes": scopes,
            "acr_values": ["eidas1"] if self.profile == "franceconnect" else [],
        }

    def environment(self) -> dict:
        """The same, as the environment variables a server process reads."""
        prefix = self.profile.upper()
        config = self.django_settings()
        return {
            f"{prefix}_DISCOVERY_URL": config["discovery_url"],
            f"{prefix}_CLIENT_ID": config["client_id"],
            f"{prefix}_CLIENT_SECRET": config["client_secret"],
        }

    def start(self) -> OidcProvider:
        # Loopback redirect URIs match on any port ("native", RFC 8252): the live server
        # picks its port after the provider has started.
        client = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "application_type": "native",
            "token_endpoint_auth_method": "client_secret_post",
            "redirect_uris": [f"http://{host}/compte/{self.profile}/retour/" for host in HOSTS],
            "post_logout_redirect_uris": [
                f"http://{host}/compte/{self.profile}/deconnexion/" for host in HOSTS
            ],
        }
        config = {
            "profile": self.profile,
            "port": self.port,
            "clients": [client],
            "accounts": ACCOUNTS[self.profile],
        }
        self._config = tempfile.NamedTemporaryFile(  # noqa: SIM115 (lives with the process)
            "w", prefix=f"oidc-{self.profile}-", suffix=".json"
        )
        json.dump(config, self._config)
        self._config.flush()
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            ["node", str(HERE / "server.mjs"), self._config.name],
            cwd=HERE,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "NODE_ENV": "test"},
        )
        _wait_for_port(self.port, self.process, f"oidc-provider ({self.profile})")
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
        self.process = None

    def switch(self, name: str) -> None:
        """A test-only switch of server.mjs (see its header)."""
        httpx.post(f"{self.base_url}/__test/{name}").raise_for_status()


FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"', re.IGNORECASE)
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)"', re.IGNORECASE)


class PersonAtProvider:
    """A browser at the provider (its own cookies), driven by plain HTTP: it follows the
    provider's redirects, fills the login form, accepts or refuses the consent, and hands back
    the first URL that leaves the provider (our callback, or our logout return)."""

    def __init__(self, provider: OidcProvider):
        self.provider = provider
        self.http = httpx.Client(timeout=10)
        self.pages: list[str] = []

    def close(self) -> None:
        self.http.close()

    def _follow(self, response: httpx.Response) -> httpx.Response | str:
        while response.is_redirect:
            target = urljoin(str(response.url), response.headers["location"])
            if not target.startswith(self.provider.base_url):
                return target
            response = self.http.get(target)
        self.pages.append(response.text)
        return response

    def open(self, url: str) -> httpx.Response | str:
        return self._follow(self.http.get(url))

    def submit(self, page: httpx.Response, action_suffix: str, data: dict) -> httpx.Response | str:
        actions = [unescape(a) for a in FORM_ACTION.findall(page.text)]
        action = next(a for a in actions if a.endswith(action_suffix))
        return self._follow(self.http.post(urljoin(str(page.url), action), data=data))

    def sign_in(self, authorize_url: str, login: str, password: str, consent: bool = True) -> str:
        """From our redirect to the provider back to our callback URL."""
        page = self.open(authorize_url)
        if isinstance(page, str):
            return page  # already signed in at the provider and consented
        if "Mot de passe" in page.text:
            page = self.submit(page, "/login", {"login": login, "password": password})
            if isinstance(page, str):
                return page
        return self.submit(page, "/confirm" if consent else "/abort", {})

    def log_out(self, end_session_url: str) -> str:
        """Confirm the provider's logout page; returns our post-logout URL."""
        page = self.open(end_session_url)
        assert not isinstance(page, str), page
        data = dict(HIDDEN_INPUT.findall(page.text))
        data["logout"] = "yes"
        action = unescape(FORM_ACTION.search(page.text).group(1))
        result = self._follow(self.http.post(urljoin(str(page.url), action), data=data))
        assert isinstance(result, str), "the provider did not send us back"
        return result
