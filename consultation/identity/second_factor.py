"""Staff must prove a second factor before any staff page.

Two ways count: a TOTP device (or a single-use recovery code) verified in this session
(django-otp), or a ProConnect sign-in whose `acr` meets PROCONNECT_STAFF_ACR (the provider did
the second factor). The identity providers' code calls `mark_second_factor(request,
"proconnect")`; the staff middleware calls `has_second_factor(request)`.

The gate is on the account, not on a list of URLs: a staff account (a campaign role, or
is_staff/is_superuser) that has not passed a second factor in this
session may open only the pages listed in OPEN_PAGES (signing in and out, the second-factor
pages, password reset, legal pages). Staff powers show on pages residents open too (a draft
campaign's preview, hidden contributions, the live board), so a list of "staff URLs" would leak
them, and a new page is gated without anyone remembering to. Residents are never asked.
"""

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user
from django_otp import login as otp_login
from django_otp.models import Device

SESSION_KEY = "second_factor"

# Pages a staff account may open before its second factor: by URL name, "namespace:name".
OPEN_PAGES = frozenset(
    {
        "frontend:login",
        "frontend:logout",
        "frontend:second_factor",
        "frontend:second_factor_setup",
        # Signing in (again) through FranceConnect or ProConnect: a ProConnect sign-in whose
        # ACR vouches for two factors is itself the second factor.
        "frontend:oidc_start",
        "frontend:oidc_callback",
        "frontend:oidc_logout_return",
        "frontend:password_reset",
        "frontend:password_reset_done",
        "frontend:password_reset_confirm",
        "frontend:password_reset_complete",
        "frontend:accessibility",
        "frontend:legal_notice",
        "frontend:personal_data",
        "frontend:sitemap",
        "admin_login",
        "admin:login",
        "admin:logout",
        "set_language",
        "healthz",
        # The token endpoint asks staff for their code itself (consultation/actions/tokens.py).
        "api-token",
        "api-schema",
        "api-docs",
    }
)
# Files served by Django itself in development (media); static files never reach a view.
OPEN_VIEW_MODULES = frozenset({"django.views.static"})


def mark_second_factor(request, method: str) -> None:
    """Record in the session that this sign-in passed a second factor (`method`: "totp" or
    "proconnect"). Call after `login()`: logging in cycles the session."""
    request.session[SESSION_KEY] = method


def record_verified_device(request, device: Device) -> None:
    """A code from `device` was just verified for request.user: django-otp's session record
    (request.user.is_verified()) and ours."""
    otp_login(request, device)
    mark_second_factor(request, "totp")


def is_staff_account(user) -> bool:
    """One query per request at most: the answer is kept on the user object, which the
    middleware and the view share."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    if not hasattr(user, "_has_campaign_role"):
        user._has_campaign_role = user.campaign_roles.exists()
    return user._has_campaign_role


def is_required(user) -> bool:
    """Whether this account must pass a second factor before staff pages: every staff
    account, with or without a local password. One signed in through ProConnect passes when the
    provider's `acr` is in PROCONNECT_STAFF_ACR (marked at sign-in); otherwise, or through
    FranceConnect, it enrols a TOTP application like everyone else."""
    return getattr(user, "is_authenticated", False) and is_staff_account(user)


def session_has_second_factor(session, user) -> bool:
    """The contract for code that sees a session but no request (the live websocket)."""
    method = session.get(SESSION_KEY) if session is not None else None
    if method != "totp":
        return bool(method)
    # A device deleted since (reset by its owner or an administrator) no longer counts.
    device = Device.from_persistent_id(session.get(DEVICE_ID_SESSION_KEY) or "")
    return device is not None and device.user_id == user.pk and device.confirmed


def has_second_factor(request) -> bool:
    if request.session.get(SESSION_KEY) == "totp" and hasattr(request.user, "is_verified"):
        # OTPMiddleware already loaded the session's device and checked it is this user's and
        # confirmed: no second query.
        return request.user.is_verified()
    return session_has_second_factor(request.session, request.user)


def has_device(user) -> bool:
    return any(True for _device in devices_for_user(user, confirmed=True))


def passes(request) -> bool:
    """May this request's user open staff pages?"""
    return not is_required(request.user) or has_second_factor(request)


def scope_user(scope):
    """The websocket's user, or None for a staff account that has not passed its second factor
    in this session: such a socket is admitted as nobody (no staff commands)."""
    user = scope.get("user")
    if is_required(user) and not session_has_second_factor(scope.get("session"), user):
        return None
    return user


def _is_open(match) -> bool:
    if match is None:
        return True  # a 404 shows nothing
    if match.func.__module__ in OPEN_VIEW_MODULES:
        return True
    name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
    return name in OPEN_PAGES


def _next_for(request) -> str:
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    # A form sent before the second factor: back to the page it came from, not to its action.
    referer = request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return referer
    return ""


class StaffSecondFactorMiddleware:
    """Sends a staff account without a second factor in this session to enrol or to type its
    code before any page not in OPEN_PAGES; the API answers 403 in its error format."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if _is_open(request.resolver_match) or passes(request):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "detail": _(
                        "Double authentification requise : ce compte a un rôle dans l'équipe, "
                        "validez votre code sur le site avant d'utiliser l'API."
                    ),
                    "code": "second_factor_required",
                },
                status=403,
            )
        enrolled = has_device(request.user)
        target = reverse("frontend:second_factor" if enrolled else "frontend:second_factor_setup")
        next_url = _next_for(request)
        return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)
