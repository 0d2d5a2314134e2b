from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from consultation.actions.tokens import issue_api_token
from consultation.api import serializers as s
from consultation.api.errors import error_responses
from consultation.api.views._base import parse_input

DEFAULT_RATE = "10/min"


class TokenThrottle(AnonRateThrottle):
    """Attempts per address, logged in or not, so passwords cannot be guessed in bulk. The
    rate is read at each request ("auth_token" in DEFAULT_THROTTLE_RATES, else 10/min)."""

    scope = "auth_token"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or DEFAULT_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenView(APIView):
    authentication_classes: list = []
    throttle_classes = [TokenThrottle]

    @extend_schema(
        summary="Obtenir un jeton d'API",
        description="Échange l'adresse électronique et le mot de passe d'un compte contre un "
        "jeton, à envoyer ensuite dans l'en-tête « Authorization: Token <jeton> ». Le même "
        "jeton est rendu à chaque demande. Limité à 10 tentatives par minute et par adresse IP, "
        "et soumis aux mêmes limites d'échecs que le formulaire de connexion (réponse 429 avec "
        "Retry-After). Les comptes de l'équipe joignent leur code de double authentification.",
        request=s.TokenInputSerializer,
        responses={
            200: s.TokenSerializer,
            **error_responses(
                400,
                403,
                e400="Champ manquant, ou adresse électronique ou mot de passe incorrect.",
                e403="Compte de l'équipe : code de double authentification manquant.",
            ),
        },
        auth=[],
    )
    def post(self, request):
        data = parse_input(s.TokenInputSerializer, request.data)
        token = issue_api_token(
            request, email=data["email"], password=data["password"], code=data.get("code", "")
        )
        return Response(s.TokenSerializer({"token": token.key}).data)
