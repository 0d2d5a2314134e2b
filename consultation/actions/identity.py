"""Accounts from an identity provider (FranceConnect, ProConnect).

The provider vouches for the person and for their email address. The risks are on our side:
linking the provider's person to somebody else's account, or to an account a stranger opened
with the person's address before they came (pre-account takeover).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from consultation.errors import ActionRefused
from consultation.models import ExternalIdentity, User

DISPLAY_NAME_MAX = 60


def sign_in_with_provider(
    *,
    provider: str,
    subject: str,
    email: str,
    given_name: str,
    family_name: str,
    siret: str = "",
) -> User:
    """The account for this provider's person: the one already linked, else the one holding
    the same email (linked now), else a new one. Names and address are the provider's."""
    claims = {
        "provider": provider,
        "subject": subject,
        "email": email,
        "given_name": given_name,
        "family_name": family_name,
        "siret": siret,
    }
    try:
        return _sign_in(**claims)
    except IntegrityError:
        # The same person signing in from two tabs at once: the other transaction created the
        # account or the link (unique constraints), which this second try now finds.
        return _sign_in(**claims)


@transaction.atomic
def _sign_in(
    *, provider: str, subject: str, email: str, given_name: str, family_name: str, siret: str
) -> User:
    label = ExternalIdentity.Provider(provider).label
    email = _checked_email(email, label)
    now = timezone.now()
    identity = (
        ExternalIdentity.objects.select_for_update()
        .select_related("user")
        .filter(provider=provider, subject=subject)
        .first()
    )
    if identity is not None and identity.user.deleted_at:
        # A deleted account is never brought back: the person starts afresh.
        identity.delete()
        identity = None
    if identity is not None:
        user = identity.user
        _refuse_inactive(user)
    else:
        user = _account_for_email(email, provider, subject, label)
        identity = ExternalIdentity(user=user, provider=provider, subject=subject)
    _take_provider_details(user, email, given_name, family_name, now)
    identity.siret = (siret or "")[:14]
    identity.last_login_at = now
    identity.save()
    return user


def _checked_email(email: str, label: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ActionRefused(
            _(
                "%(provider)s n'a pas transmis d'adresse électronique valable : la plateforme "
                "en a besoin pour vous écrire. Acceptez de la partager, ou créez un compte."
            )
            % {"provider": label},
            code="missing_email",
        ) from exc
    return email


def _refuse_inactive(user: User) -> None:
    if not user.is_active:
        raise ActionRefused(
            _("Ce compte est désactivé. Écrivez à l'équipe de la plateforme si c'est une erreur."),
            code="inactive",
        )


def _account_for_email(email: str, provider: str, subject: str, label: str) -> User:
    user = User.objects.select_for_update().filter(email=email).first()
    if user is None:
        user = User(email=email)
        user.set_unusable_password()
        return user
    _refuse_inactive(user)
    # The same subject here is a concurrent sign-in of this very person: saving the link then
    # fails on the unique constraint and the retry finds it.
    if user.external_identities.filter(provider=provider).exclude(subject=subject).exists():
        raise ActionRefused(
            _(
                "Un compte de la plateforme avec cette adresse est déjà relié à une autre "
                "identité %(provider)s. Connectez-vous avec celle-ci."
            )
            % {"provider": label},
            code="other_identity",
        )
    if not user.has_verified_email:
        _evict_squatter(user)
    return user


def _evict_squatter(user: User) -> None:
    """Nobody proved this address before: whoever opened the account may not be its owner
    (a stranger can register someone's address ahead of them). The provider proves the owner,
    so the account becomes theirs alone: the password goes (and with it every open session,
    whose hash no longer matches), API tokens go, a pending address change and the chosen
    display name go."""
    user.set_unusable_password()
    user.pending_email = ""
    user.display_name = ""
    Token.objects.filter(user=user).delete()


def _take_provider_details(user: User, email: str, given: str, family: str, now) -> None:
    user.given_name = (given or "").strip()[:150]
    user.family_name = (family or "").strip()[:150]
    # A linked account keeps the address its owner chose since; the provider's address is
    # proved whenever it is the account's.
    if user.email == email:
        user.email_verified_at = user.email_verified_at or now
    if not user.display_name:
        # Public name: the given name by default, changeable in "Mon compte".
        user.display_name = (user.given_name or email.split("@")[0])[:DISPLAY_NAME_MAX]
    user.save()
