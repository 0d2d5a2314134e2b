"""The OpenID Connect side of FranceConnect (residents) and ProConnect (agents).

Authlib drives the protocol: discovery, state kept single-use in the session, code exchange,
id_token checked against the provider's keys (signature, iss, aud, exp, nonce). Both providers
answer userinfo as a signed JWT, which Authlib leaves to us: `_verified_userinfo` checks it
against the same keys. Every failure becomes `SignInFailed` with a French message; nothing is
written here (consultation.actions.identity decides about accounts).
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from functools import cache

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from consultation.models import ExternalIdentity

logger = logging.getLogger(__name__)

Provider = ExternalIdentity.Provider
# FranceConnect v2 signs with ES256 or RS256; ProConnect with RS256. Nothing else is accepted
# (never "none", never HMAC with a secret the client also knows).
SIGNING_ALGORITHMS = ["ES256", "RS256"]
# ProConnect returns acr and amr only when asked through the `claims` parameter.
PROCONNECT_CLAIMS = {"id_token": {"acr": {"essential": True}, "amr": {"essential": True}}}
TIMEOUT_SECONDS = 10
# Where the sign-in's id_token waits for logout (RP-initiated logout needs it as a hint).
SESSION_PROVIDER, SESSION_ID_TOKEN = "oidc_provider", "oidc_id_token"


class SignInFailed(Exception):
    """The sign-in at a provider did not complete. `message` is for the person (French first,
    translated like the rest of the interface)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True)
class ProviderIdentity:
    """Who the provider says signed in, once every signature and check has passed."""

    provider: str
    subject: str
    claims: dict
    acr: str
    id_token: str


def label(provider: str) -> str:
    return Provider(provider).label


def settings_for(provider: str) -> dict | None:
    """The provider's settings, or None when it is not configured (then it is off)."""
    config = settings.OIDC_PROVIDERS.get(provider)
    return config if config and config["discovery_url"] else None


def enabled_providers() -> list[str]:
    return [provider for provider in Provider.values if settings_for(provider)]


@cache
def _registry(configuration: str) -> OAuth:
    """One Authlib client per configuration (JSON of its settings), kept for the process: the
    discovery document and the keys are fetched on first use (never at import) and kept;
    unknown key ids refetch the keys."""
    return OAuth()


def _client(provider: str):
    config = settings_for(provider)
    if config is None:
        raise SignInFailed(
            _("La connexion avec %(provider)s n'est pas proposée sur cette plateforme.")
            % {"provider": label(provider)},
            code="disabled",
        )
    registry = _registry(json.dumps(config, sort_keys=True))
    client = registry.create_client(provider)
    if client is None:
        client = registry.register(
            provider,
            client_id=config["client_id"],
            client_secret=config["client_secret"],
            server_metadata_url=config["discovery_url"],
            client_kwargs={
                "scope": " ".join(config["scopes"]),
                "token_endpoint_auth_method": "client_secret_post",
                "default_timeout": TIMEOUT_SECONDS,
            },
        )
    return client


def _metadata(client) -> dict:
    """The discovery document (fetched once), with the id_token algorithms narrowed to ours:
    Authlib takes the list from the provider's document, which must not widen it."""
    metadata = client.load_server_metadata()
    offered = metadata.get("id_token_signing_alg_values_supported") or SIGNING_ALGORITHMS
    metadata["id_token_signing_alg_values_supported"] = [
        alg for alg in offered if alg in SIGNING_ALGORITHMS
    ]
    return metadata


def _unavailable(provider: str) -> SignInFailed:
    return SignInFailed(
        _(
            "%(provider)s ne répond pas pour le moment. Réessayez dans quelques minutes, ou "
            "connectez-vous avec votre adresse électronique et votre mot de passe."
        )
        % {"provider": label(provider)},
        code="unavailable",
    )


def _unverified(provider: str) -> SignInFailed:
    return SignInFailed(
        _(
            "La réponse de %(provider)s n'a pas pu être vérifiée : par sécurité, vous n'êtes "
            "pas connecté·e. Recommencez."
        )
        % {"provider": label(provider)},
        code="unverified",
    )


def authorization_redirect(request, provider: str, redirect_uri: str):
    """The redirect to the provider's login page. State and nonce (43 characters, FranceConnect
    asks for 32 at least) wait in the session for the callback."""
    client = _client(provider)
    config = settings_for(provider)
    params = {"state": secrets.token_urlsafe(32), "nonce": secrets.token_urlsafe(32)}
    if config["acr_values"]:
        params["acr_values"] = " ".join(config["acr_values"])
    if provider == Provider.PROCONNECT:
        params["claims"] = json.dumps(PROCONNECT_CLAIMS)
    try:
        _metadata(client)
        return client.authorize_redirect(request, redirect_uri, **params)
    except (requests.RequestException, ValueError) as exc:
        logger.warning("%s: discovery failed: %s", provider, exc)
        raise _unavailable(provider) from exc


def _refused_at_provider(provider: str, error: str) -> SignInFailed:
    if error in {"access_denied", "user_cancelled"}:
        message = _(
            "Vous avez annulé la connexion avec %(provider)s ou refusé de partager vos "
            "informations : vous n'êtes pas connecté·e."
        ) % {"provider": label(provider)}
    else:
        message = _(
            "%(provider)s n'a pas pu vous identifier (%(error)s) : vous n'êtes pas "
            "connecté·e. Recommencez, ou connectez-vous avec votre adresse électronique."
        ) % {"provider": label(provider), "error": error}
    return SignInFailed(message, code=error)


def complete_sign_in(request, provider: str) -> ProviderIdentity:
    """Check the provider's callback and return who signed in. The state is consumed first,
    so a replayed callback URL is refused whatever happens next."""
    client = _client(provider)
    if error := request.GET.get("error"):
        # Drop the waiting state: the attempt is over.
        client.framework.clear_state_data(request.session, request.GET.get("state"))
        raise _refused_at_provider(provider, error[:64])
    try:
        metadata = _metadata(client)
        # RFC 9207: a response that names another issuer was not meant for this callback.
        if request.GET.get("iss", metadata["issuer"]) != metadata["issuer"]:
            raise ValueError("authorization response from another issuer")
        token = client.authorize_access_token(request, leeway=60)
        id_claims = token.get("userinfo")
        if not id_claims:
            raise _unverified(provider)
        userinfo = _verified_userinfo(client, token["access_token"])
    except MismatchingStateError as exc:
        raise SignInFailed(
            _(
                "Cette demande de connexion avec %(provider)s a expiré ou a déjà servi. "
                "Recommencez depuis le bouton."
            )
            % {"provider": label(provider)},
            code="state",
        ) from exc
    except OAuthError as exc:
        logger.warning("%s: token endpoint refused: %s", provider, exc)
        raise SignInFailed(
            _(
                "%(provider)s n'a pas confirmé la connexion (demande expirée ou déjà "
                "utilisée). Recommencez depuis le bouton."
            )
            % {"provider": label(provider)},
            code="token",
        ) from exc
    except (AuthlibBaseError, JoseError, KeyError, ValueError) as exc:
        logger.warning("%s: response failed verification: %s", provider, exc)
        raise _unverified(provider) from exc
    except requests.RequestException as exc:
        logger.warning("%s: unreachable: %s", provider, exc)
        raise _unavailable(provider) from exc
    # The userinfo must describe the person the id_token names (OpenID Connect Core 5.3.2).
    if userinfo.get("sub") != id_claims["sub"]:
        raise _unverified(provider)
    acr = str(id_claims.get("acr") or "")
    required = settings_for(provider)["acr_values"]
    if provider == Provider.FRANCECONNECT and required and acr not in required:
        # FranceConnect asks its partners to check the level it vouched for.
        raise SignInFailed(
            _(
                "%(provider)s vous a identifié·e avec un niveau de garantie insuffisant pour "
                "ce service : vous n'êtes pas connecté·e."
            )
            % {"provider": label(provider)},
            code="acr",
        )
    return ProviderIdentity(
        provider=provider,
        subject=str(id_claims["sub"]),
        claims=userinfo,
        acr=acr,
        id_token=token["id_token"],
    )


def _verified_userinfo(client, access_token: str) -> dict:
    """The userinfo response, a JWT signed with the provider's keys for this client."""
    metadata = client.load_server_metadata()
    response = client.get(
        metadata["userinfo_endpoint"],
        token={"access_token": access_token, "token_type": "Bearer"},
    )
    response.raise_for_status()
    if not response.headers.get("Content-Type", "").startswith("application/jwt"):
        raise ValueError("userinfo is not a signed JWT")
    registry = JWSRegistry(algorithms=SIGNING_ALGORITHMS)
    try:
        token = jwt.decode(
            response.text.strip(), KeySet.import_key_set(client.fetch_jwk_set()), registry=registry
        )
    except InvalidKeyIdError:
        keys = KeySet.import_key_set(client.fetch_jwk_set(force=True))
        token = jwt.decode(response.text.strip(), keys, registry=registry)
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": client.client_id},
    ).validate(token.claims)
    return token.claims


def remember_for_logout(request, identity: ProviderIdentity) -> None:
    """Call after login() (it cycles the session): logout will need the id_token."""
    request.session[SESSION_PROVIDER] = identity.provider
    request.session[SESSION_ID_TOKEN] = identity.id_token


def provider_session(request) -> tuple[str, str] | None:
    """(provider, id_token) of the current sign-in, if it came from a provider."""
    provider = request.session.get(SESSION_PROVIDER)
    id_token = request.session.get(SESSION_ID_TOKEN)
    if provider in Provider.values and id_token:
        return provider, id_token
    return None


def end_session_redirect(request, provider: str, id_token: str, return_uri: str):
    """The redirect that ends the provider's session too (RP-initiated logout), or None when
    the provider cannot be reached: the local logout has happened either way. Call after
    logout(): the logout state waits in the new session."""
    try:
        return _client(provider).logout_redirect(
            request,
            post_logout_redirect_uri=return_uri,
            id_token_hint=id_token,
            state=secrets.token_urlsafe(32),
        )
    except (SignInFailed, requests.RequestException, ValueError, RuntimeError) as exc:
        logger.warning("%s: end_session unavailable: %s", provider, exc)
        return None


def check_logout_return(request, provider: str) -> bool:
    """True when the provider's return carries the state our logout sent (single use)."""
    try:
        _client(provider).validate_logout_response(request)
    except (SignInFailed, OAuthError):
        return False
    return True
