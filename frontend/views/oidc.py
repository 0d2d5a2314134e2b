"""Sign-in with FranceConnect and ProConnect: the button's POST, the provider's callback and
the return from the provider's logout. The protocol is in consultation.identity.oidc, the
accounts in consultation.actions.identity; failures come back to the login page in French."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from consultation.actions import identity as identity_actions
from consultation.errors import ActionRefused
from consultation.identity import oidc
from consultation.identity.second_factor import mark_second_factor
from frontend.views.accounts import MODEL_BACKEND, safe_next

SESSION_NEXT = "oidc_next"


def _login_page_with(request, message: str):
    messages.error(request, message)
    return redirect("frontend:login")


@never_cache
@require_POST
def start(request, provider: str):
    """POST, with the CSRF token: another site cannot start a sign-in in someone's browser."""
    request.session[SESSION_NEXT] = safe_next(request, reverse("frontend:home"))
    callback = request.build_absolute_uri(reverse("frontend:oidc_callback", args=[provider]))
    try:
        return oidc.authorization_redirect(request, provider, callback)
    except oidc.SignInFailed as exc:
        return _login_page_with(request, exc.message)


@never_cache
@require_GET
def callback(request, provider: str):
    try:
        identity = oidc.complete_sign_in(request, provider)
    except oidc.SignInFailed as exc:
        return _login_page_with(request, exc.message)
    claims = identity.claims
    try:
        user = identity_actions.sign_in_with_provider(
            provider=provider,
            subject=identity.subject,
            email=claims.get("email", ""),
            given_name=claims.get("given_name", ""),
            # ProConnect calls the family name usual_name.
            family_name=claims.get("family_name") or claims.get("usual_name", ""),
            siret=claims.get("siret", ""),
        )
    except ActionRefused as exc:
        return _login_page_with(request, exc.message)
    next_url = request.session.pop(SESSION_NEXT, "") or reverse("frontend:home")
    login(request, user, backend=MODEL_BACKEND)
    oidc.remember_for_logout(request, identity)
    if provider == oidc.Provider.PROCONNECT and identity.acr in settings.PROCONNECT_STAFF_ACR:
        mark_second_factor(request, "proconnect")
    messages.success(
        request,
        _("Vous êtes connecté·e avec %(provider)s. Bienvenue %(name)s.")
        % {"provider": oidc.label(provider), "name": user.display_name},
    )
    return redirect(next_url)


def end_provider_session(request, provider: str, id_token: str):
    """After the local logout: off to the provider to end its session too, or None."""
    return_uri = request.build_absolute_uri(reverse("frontend:oidc_logout_return", args=[provider]))
    return oidc.end_session_redirect(request, provider, id_token, return_uri)


@never_cache
@require_GET
def logout_return(request, provider: str):
    if oidc.check_logout_return(request, provider):
        messages.info(
            request,
            _("Vous êtes aussi déconnecté·e de %(provider)s.") % {"provider": oidc.label(provider)},
        )
    return redirect("frontend:home")
