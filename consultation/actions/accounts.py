from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from consultation.actions._validation import require_text
from consultation.errors import ActionRefused
from consultation.identity.email_verification import address_to_verify, email_verification_token
from consultation.models import User
from consultation.ratelimit import check_rate
from consultation.tasks import notify_email_change_requested, send_verification_link

EMAIL_TAKEN = "Un compte existe déjà avec cette adresse électronique."
LINK_REFUSED = (
    "Ce lien de vérification n'est plus valable : il a déjà servi, il a plus de 48 heures, ou "
    "une autre adresse a été demandée depuis. Demandez un nouveau lien."
)


def sign_up(*, email: str, password: str, display_name: str, postal_code: str = "") -> User:
    """Create a local account, its address not yet verified, and send it the link that
    verifies it (after commit: a rolled-back account gets no email)."""
    data = check_sign_up(
        email=email, password=password, display_name=display_name, postal_code=postal_code
    )
    with transaction.atomic():
        user = User.objects.create_user(password=password, **data)
        transaction.on_commit(lambda: send_verification_link.enqueue(user.pk))
    return user


def check_sign_up(*, email, password, display_name, postal_code="") -> dict:
    """The account's cleaned fields, or one ActionRefused naming every refused field
    (`field_errors`), so the person corrects the form in one go."""
    refusals: list[ActionRefused] = []
    display_name = _collect(
        refusals,
        require_text,
        display_name,
        field="display_name",
        label="Nom affiché",
        min_length=2,
        max_length=60,
    )
    email = _collect(refusals, _new_email, email, field="email")
    postal_code = _collect(refusals, _postal_code, postal_code)
    candidate = User(email=email or "", display_name=display_name or "")
    _collect(refusals, _strong_password, password, candidate)
    if refusals:
        raise _all_of(refusals)
    return {"email": email, "display_name": display_name, "postal_code": postal_code}


def _collect(refusals: list[ActionRefused], check: Callable, *args, **kwargs):
    """The check's result, or None with its refusal added to `refusals`."""
    try:
        return check(*args, **kwargs)
    except ActionRefused as refusal:
        refusals.append(refusal)
        return None


def _all_of(refusals: list[ActionRefused]) -> ActionRefused:
    first = refusals[0]
    field_errors: dict[str, list[str]] = {}
    for refusal in refusals:
        field_errors.setdefault(refusal.field or "", []).append(refusal.message)
    return ActionRefused(
        first.message, code=first.code, field=first.field, field_errors=field_errors
    )


def _new_email(value, *, field: str, exclude: User | None = None) -> str:
    """A well-formed address that no other account uses, in lower case."""
    email = (value or "").strip().lower() if isinstance(value, str) else ""
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ActionRefused(
            "Adresse électronique invalide.", code="invalid_email", field=field
        ) from exc
    taken = User.objects.filter(email=email)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        # Sign-up already says this much; the change of address says no more.
        raise ActionRefused(EMAIL_TAKEN, code="email_taken", field=field)
    return email


def _strong_password(password, candidate: User) -> None:
    if not isinstance(password, str) or not password:
        raise ActionRefused(
            "Mot de passe : ce champ est obligatoire.", code="required", field="password"
        )
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise ActionRefused(" ".join(exc.messages), code="weak_password", field="password") from exc


def _postal_code(value) -> str:
    postal_code = (value or "").strip() if isinstance(value, str) else ""
    if postal_code and not (postal_code.isdigit() and len(postal_code) == 5):
        raise ActionRefused(
            "Le code postal doit comporter 5 chiffres.", code="invalid", field="postal_code"
        )
    return postal_code


def update_profile(user: User, *, display_name: str, postal_code: str = "") -> User:
    """Change what the person shows publicly (display name) and their optional postal code."""
    display_name = require_text(
        display_name, field="display_name", label="Nom affiché", min_length=2, max_length=60
    )
    postal_code = _postal_code(postal_code)
    user.display_name, user.postal_code = display_name, postal_code
    user.save(update_fields=["display_name", "postal_code"])
    return user


def verify_email(user: User, token: str) -> User:
    """Mark the address the link was sent to as verified: the pending new address replaces
    the old one, or the sign-up address is confirmed. The link then stops working.

    The row is locked and the token checked again under the lock, so two clicks at once
    verify once."""
    if not email_verification_token.check_token(user, token):
        raise ActionRefused(LINK_REFUSED, code="invalid_link")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not email_verification_token.check_token(user, token):
            raise ActionRefused(LINK_REFUSED, code="invalid_link")
        taken = bool(
            user.pending_email
            and User.objects.filter(email=user.pending_email).exclude(pk=user.pk).exists()
        )
        if taken:  # another account verified it first: the old address stays
            user.pending_email = ""
        else:
            user.email = user.pending_email or user.email
            user.pending_email = ""
            user.email_verified_at = timezone.now()
        user.save(update_fields=["email", "pending_email", "email_verified_at"])
    if taken:
        raise ActionRefused(EMAIL_TAKEN, code="email_taken")
    return user


def request_email_change(user: User, *, new_email: str, password: str, address: str = "") -> User:
    """Ask for another address: the link goes to the new one, which replaces the old only once
    verified; the old address, if verified, is told a change was asked (a stolen session must
    not move an account quietly). The current password is required for the same reason."""
    if not isinstance(password, str) or not user.check_password(password):
        raise ActionRefused(
            "Mot de passe incorrect : votre adresse n'est pas modifiée.",
            code="wrong_password",
            field="password",
        )
    new_email = _new_email(new_email, field="new_email", exclude=user)
    if new_email == user.email:
        raise ActionRefused(
            "C'est déjà votre adresse électronique.", code="same_email", field="new_email"
        )
    _check_sending_rate(user, address)
    with transaction.atomic():
        user.pending_email = new_email
        user.save(update_fields=["pending_email"])
        transaction.on_commit(lambda: send_verification_link.enqueue(user.pk))
        if user.has_verified_email:
            transaction.on_commit(lambda: notify_email_change_requested.enqueue(user.pk))
    return user


def cancel_email_change(user: User) -> User:
    """Forget the new address asked for; its link stops working."""
    user.pending_email = ""
    user.save(update_fields=["pending_email"])
    return user


def resend_verification(user: User, *, address: str = "") -> str:
    """Send a new link to the address awaiting verification; returns that address.

    Limited per account and per client address: each call sends an email."""
    target = address_to_verify(user)
    if not target:
        raise ActionRefused("Votre adresse électronique est déjà vérifiée.", code="verified")
    _check_sending_rate(user, address)
    transaction.on_commit(lambda: send_verification_link.enqueue(user.pk))
    return target


def _check_sending_rate(user: User, address: str) -> None:
    check_rate("email_verification", str(user.pk), settings.RATE_LIMITS["email_verification"])
    if address:  # people behind one address (a town hall's wifi): a wider limit
        rate = settings.RATE_LIMITS["email_verification_address"]
        check_rate("email_verification_address", address, rate)


def confirm_email_by_password_reset(user: User) -> None:
    """A password reset link went to the account's address and was used: the address is the
    person's (the rightful owner of an address someone else signed up with takes the account
    back this way)."""
    if user.email_verified_at is None and user.email:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
