from django.contrib.auth import authenticate
from rest_framework.authtoken.models import Token

from consultation.actions.second_factor import verify_code
from consultation.errors import ActionRefused, PermissionRefused
from consultation.identity import second_factor, throttle
from consultation.ratelimit import client_address


def issue_api_token(request, *, email: str, password: str, code: str = "") -> Token:
    """The API token of the person with these credentials, created on first use.

    One message for every failure (unknown email, wrong password, closed account), so the
    endpoint does not reveal which addresses have an account. The login throttle applies as at
    every other door; staff accounts also give their second-factor code, since the token opens
    the staff endpoints without any session.
    """
    email = (email or "").strip().lower()
    user = authenticate(request, email=email, password=password)
    if user is None:
        raise throttle.refused_sign_in(request) or ActionRefused(
            "Adresse électronique ou mot de passe incorrect.", code="invalid_credentials"
        )
    if not user.is_active:
        raise ActionRefused(
            "Adresse électronique ou mot de passe incorrect.", code="invalid_credentials"
        )
    throttle.record_success(email, client_address(request))
    if second_factor.is_required(user):
        if not code:
            raise PermissionRefused(
                "Ce compte a un rôle dans l'équipe : joignez le code de double "
                "authentification (champ « code »).",
                code="second_factor_required",
            )
        verify_code(user, code)
    token, _ = Token.objects.get_or_create(user=user)
    return token
