"""The Content-Security-Policy (django-csp, policy in settings.CONTENT_SECURITY_POLICY) and the
endpoint browsers report its violations to.

No template writes an inline script or style attribute: scripts and styles are static files,
and the rare inline block that cannot be a file (a third-party template's) carries the
request's nonce. A script injected into a page (a text that escaped its escaping) has no nonce
and does not run.
"""

import base64
import json
import logging
import os
from functools import cache
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from consultation.errors import ActionRefused
from consultation.ratelimit import check_rate, client_address

logger = logging.getLogger("consultation.csp")

# Where signing in and out sends the browser after a form POST (Chrome applies form-action to
# the redirects that follow a form): the identity providers' hosts, when they are configured
# (settings.OIDC_PROVIDERS, from FRANCECONNECT_DISCOVERY_URL and PROCONNECT_DISCOVERY_URL).
PROVIDER_SETTINGS = ("OIDC_PROVIDERS",)
REPORT_MAX_BYTES = 8192
# Per address: a page with a broken script reports once per load; a flood fills no log.
REPORT_RATE = "30/m"


@cache
def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def provider_origins() -> list[str]:
    """The origins of the configured identity providers' discovery URLs."""
    providers = getattr(settings, "OIDC_PROVIDERS", {}) or {}
    urls = (provider.get("discovery_url") or "" for provider in providers.values())
    return sorted({origin for url in urls if url and (origin := _origin(url))})


def allow_sign_in_redirects(response):
    """For a page with the FranceConnect or ProConnect buttons, when one is configured: the
    sign-in form's redirects may pass through hosts we cannot list (a provider already signed
    in sends the browser on to the person's identity provider and back without a click), so
    form-action admits any https origin there, and only there."""
    if provider_origins():
        response._csp_update = {"form-action": ["https:"]}
    return response


_NONCE_SLOT = "\x00nonce\x00"
_templates: dict[str, str] = {}  # built once per configuration; tests change the settings


@receiver(setting_changed)
def _forget_templates(setting, **kwargs) -> None:
    if setting == "CONTENT_SECURITY_POLICY" or setting in PROVIDER_SETTINGS:
        _templates.clear()


def policy_header() -> str:
    """The header ContentSecurityPolicyMiddleware gives a response other than a browsable API
    page, with a fresh nonce: for the vote fast path, which answers without Django's
    middleware (consultation/api/fastvotes.py). A few microseconds a vote."""
    template = _templates.get("api")
    if template is None:
        origins = provider_origins()
        update = {"form-action": origins} if origins else {}
        template = _templates["api"] = build_policy(update=update, nonce=_NONCE_SLOT)
    return template.replace(_NONCE_SLOT, base64.b64encode(os.urandom(16)).decode("ascii"))


def _is_browsable_api(response) -> bool:
    renderer = getattr(response, "accepted_renderer", None)
    return getattr(renderer, "format", None) == "api"


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, plus: a fresh nonce in every page's policy (whether or not the
    page used it, so every response proves the policy is per request), the identity
    providers' origins in form-action, and inline styles for DRF's browsable API only (its
    templates are full of style attributes; scripts stay as strict there as everywhere)."""

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        parts.nonce = self._make_nonce(request)
        update = dict(parts.update or {})
        if origins := provider_origins():
            update["form-action"] = [*update.get("form-action", []), *origins]
        parts.update = update
        if _is_browsable_api(response):
            parts.replace = {**(parts.replace or {}), "style-src": ["'self'", "'unsafe-inline'"]}
        return parts


@csrf_exempt  # browsers send reports without a token, and nothing is written but a log line
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    """Log a violation report (report-uri), truncated; answer 204 whatever it holds."""
    try:
        check_rate("csp_report", client_address(request), REPORT_RATE)
    except ActionRefused:
        return HttpResponse(status=204)  # the browser has nothing to do about it
    body = request.body[:REPORT_MAX_BYTES]
    try:
        report = json.loads(body).get("csp-report", {})
    except (ValueError, AttributeError):
        report = {}
    if not isinstance(report, dict):
        report = {}
    logger.warning(
        "Violation de la politique de sécurité du contenu : %s bloqué sur %s (%s)",
        str(report.get("blocked-uri", "?"))[:200],
        str(report.get("document-uri", "?"))[:200],
        str(report.get("violated-directive", "?"))[:100],
    )
    return HttpResponse(status=204)
