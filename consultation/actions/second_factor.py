"""Staff second factor: enrol an authenticator app, check a code, reset.

One TOTP device per account (django-otp) and one static device holding ten single-use
recovery codes, shown once at enrolment.
"""

import math

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp.models import Device, VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from consultation.errors import ActionRefused
from consultation.identity.second_factor import is_staff_account
from consultation.models import User

RECOVERY_CODES = 10
DEVICE_NAME = "Application d'authentification"
RECOVERY_NAME = "Codes de secours"


def pending_device(user: User) -> TOTPDevice:
    """The device being enrolled: the same secret on every visit until confirmed (a reload
    must not invalidate what the person just scanned)."""
    if not is_staff_account(user):
        raise ActionRefused(_("La double authentification est réservée à l'équipe."))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def confirm_enrolment(user: User, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending device with a code it produced; returns it and the new recovery
    codes (the only time they are readable)."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise ActionRefused(_("Aucune activation en cours : rechargez la page."))
        refusal = _check(device, "".join((code or "").split()))
        if refusal is None:
            _confirm(device)
            codes = _new_recovery_codes(user)
    # Raised after the commit: the failure django-otp counted must not be rolled back.
    if refusal is not None:
        raise refusal
    return device, codes


def _confirm(device: TOTPDevice) -> None:
    # One device per account: an earlier one (before a reset) goes away.
    TOTPDevice.objects.filter(user=device.user_id).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def verify_code(user: User, code: str) -> Device:
    """The device that accepts `code` (a 6-digit code or a recovery code). A wrong code makes
    the next try wait (1 s, 2 s, 4 s...: django-otp's throttling, per device)."""
    code = "".join((code or "").split()).lower()
    if not code or len(code) > 16:
        raise ActionRefused(_("Saisissez le code à 6 chiffres ou un code de secours."))
    with transaction.atomic():
        devices = list(devices_for_user(user, confirmed=True, for_verify=True))
        if not devices:
            raise ActionRefused(_("Aucune double authentification n'est activée sur ce compte."))
        # Digits go to the app, anything else to the recovery codes: a typo in one does not
        # count as a failure against the other.
        kind = TOTPDevice if code.isdigit() else StaticDevice
        device = next((d for d in devices if isinstance(d, kind)), None)
        refusal = _check(device, code) if device is not None else _wrong_code()
    # Raised after the commit: the failure django-otp counted must not be rolled back.
    if refusal is not None:
        raise refusal
    return device


def _wrong_code() -> ActionRefused:
    return ActionRefused(
        _(
            "Code incorrect. Vérifiez l'heure de votre téléphone et saisissez le code "
            "affiché en ce moment (il change toutes les 30 secondes), ou un code de secours."
        ),
        code="invalid_code",
    )


def _check(device: Device, code: str) -> ActionRefused | None:
    """Why `code` is refused by `device`, or None if it is accepted (and used up)."""
    allowed, data = device.verify_is_allowed()
    if not allowed and data and data.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
        wait = (data["locked_until"] - timezone.now()).total_seconds()
        return ActionRefused(
            _("Trop de codes incorrects : patientez %(seconds)s s avant de réessayer.")
            % {"seconds": max(1, math.ceil(wait))},
            code="throttled",
        )
    return None if device.verify_token(code) else _wrong_code()


def reset_second_factor(user: User, password: str) -> None:
    """Remove the account's devices (a new phone): the next staff page asks to enrol again.
    The password is asked again so that an unattended open session cannot do it."""
    if not user.check_password(password or ""):
        raise ActionRefused(_("Mot de passe incorrect : rien n'est changé."), field="password")
    remove_devices(user)


def remove_devices(user: User) -> int:
    """Every device of the account (app and recovery codes), e.g. by an administrator for
    someone who lost both: their sessions lose the second factor at their next page."""
    removed = 0
    for device in devices_for_user(user, confirmed=None):
        device.delete()
        removed += 1
    return removed
