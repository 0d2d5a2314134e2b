from django.contrib.auth import authenticate
from rest_framework.authtoken.models import Token

from consultation.errors import ActionRefused


def issue_api_token(request, *, email: str, password: str) -> Token:
    """The API token of the person with these credentials, created on first use.

    One message for every failure (unknown email, wrong password, closed account), so the
    endpoint does not reveal which addresses have an account.
    """
    user = authenticate(request, email=(email or "").strip().lower(), password=password)
    if user is None or not user.is_active:
        raise ActionRefused(
            "Adresse électronique ou mot de passe incorrect.", code="invalid_credentials"
        )
    token, _ = Token.objects.get_or_create(user=user)
    return token
