"""Turn every error into JSON with a French message.

Every error body has the same shape: {"detail": "...", "code": "...", "field": optional}.
Domain refusals come from the actions (ActionRefused / PermissionRefused); input errors found by
the input serializers arrive as ActionRefused too (see views/_base.py); what DRF raises itself
(parse errors, unknown pages, throttling, unsupported methods) is reshaped here.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from consultation.errors import ActionRefused, PermissionRefused

PARSE_ERROR = "Le corps de la requête n'est pas un JSON valide."
NOT_FOUND = "Introuvable : cet objet n'existe pas ou n'est pas visible."
LOGIN_NEEDED = "Connectez-vous pour continuer."
CSRF_FAILED = (
    "Vérification CSRF échouée : envoyez l'en-tête X-CSRFToken avec la session, "
    "ou utilisez un jeton d'API."
)


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    detail = serializers.CharField(help_text="Explication en français, à montrer telle quelle.")
    code = serializers.CharField(help_text="Code stable, pour les programmes (ex. « too_long »).")
    field = serializers.CharField(
        required=False, help_text="Le champ en cause, quand l'erreur porte sur un champ."
    )


def _body(detail, code, field=None) -> dict:
    body = {"detail": str(detail), "code": str(code)}
    if field:
        body["field"] = field
    return body


def _first_error(detail, codes, field=None):
    """The first message of a DRF ValidationError (possibly nested), with its field."""
    if isinstance(detail, dict):
        name, value = next(iter(detail.items()))
        if name != "non_field_errors":
            field = f"{field}.{name}" if field else name
        return _first_error(value, codes[name], field)
    if isinstance(detail, list):
        return _first_error(detail[0], codes[0], field)
    return detail, codes, field


def _login_response(message) -> Response:
    response = Response(_body(message, "not_authenticated"), status=401)
    response["WWW-Authenticate"] = 'Token realm="api"'
    return response


def exception_handler(exc, context):
    if isinstance(exc, PermissionRefused) and exc.needs_login:
        return _login_response(exc.message)
    if isinstance(exc, ActionRefused):
        code = status.HTTP_429_TOO_MANY_REQUESTS if exc.code == "throttled" else exc.status_code
        response = Response(_body(exc.message, exc.code, exc.field), status=code)
        if getattr(exc, "retry_after", None):  # the login throttle says how long
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, DjangoValidationError):
        return Response(_body(" ".join(exc.messages), "invalid"), status=400)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return _login_response(exc.detail if isinstance(exc.detail, str) else LOGIN_NEEDED)
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        # DRF's CSRF message is in English (it carries Django's untranslated reason).
        return Response(_body(CSRF_FAILED, "csrf_failed"), status=403)
    if isinstance(exc, exceptions.ParseError):
        return Response(_body(PARSE_ERROR, "parse_error"), status=400)
    if isinstance(exc, Http404 | exceptions.NotFound):
        return Response(_body(NOT_FOUND, "not_found"), status=404)
    if isinstance(exc, exceptions.ValidationError):  # query parameters (filters)
        message, code, field = _first_error(exc.detail, exc.get_codes())
        if field:
            message = f"Paramètre « {field} » : {message}"
        return Response(_body(message, code, field), status=400)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.default_detail)
        response.data = _body(detail, exc.default_code)
    return response


_DESCRIPTIONS = {
    400: "Données invalides (JSON mal formé, champ manquant, trop long, mauvais type, "
    "identifiant inconnu ou d'une autre campagne, phase fermée…). Rien n'est enregistré.",
    401: "Connexion requise : session ou en-tête « Authorization: Token <jeton> ».",
    403: "Action non permise pour ce compte (rôle insuffisant, phase ou campagne fermée).",
    404: "Objet inconnu, ou invisible pour vous (campagne en brouillon, contenu masqué).",
    429: "Trop de requêtes : patientez avant de réessayer.",
}


PAGE_404 = "Numéro de page au-delà de la dernière page."


def error_responses(*codes: int, **descriptions: str) -> dict:
    """Document error responses in extend_schema; a code may get its own French description
    with e.g. e403="Seule l'équipe organisatrice…"."""
    return {
        code: OpenApiResponse(
            response=ErrorSerializer,
            description=descriptions.get(f"e{code}", _DESCRIPTIONS[code]),
        )
        for code in (*codes, 429)
    }
