"""Signing staff in for tests, as the site does: a password (here force_login) then a second
factor verified for the session.

Staff pages are closed to a staff account until its second factor is verified in the session
(consultation/identity/second_factor.py). `sign_in` creates a real TOTP device, checks a code
computed from its secret, and records the verification in the session through the same
function the code page calls (django_otp.login plus our marker).
"""

import time
from base64 import b32decode
from types import SimpleNamespace

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from consultation.identity.second_factor import is_required, record_verified_device


def current_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the authenticator app shows now (or `steps_ahead` periods of 30 s later)."""
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    generator.time = time.time() + device.step * steps_ahead
    return f"{generator.token():0{device.digits}d}"


def code_from_secret(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for the base32 secret printed on the enrolment page."""
    key = b32decode(secret.replace(" ", ""))
    generator = TOTP(key, 30, 0, 6, 0)
    generator.time = time.time() + 30 * steps_ahead
    return f"{generator.token():06d}"


def verify_session(session, user) -> TOTPDevice:
    """Enrol a new device for `user` and verify a code from it for `session` (a device per
    session: a TOTP code cannot be used twice, and tests sign the same person in twice)."""
    device = TOTPDevice.objects.create(user=user, name="Téléphone de test", confirmed=True)
    assert device.verify_token(current_code(device)), "the device refused its own code"
    record_verified_device(SimpleNamespace(user=user, session=session), device)
    session.save()
    return device


def sign_in(client, user) -> None:
    """force_login, and for a staff account a second factor verified in that session."""
    client.force_login(user)
    if is_required(user):
        session = client.session
        verify_session(session, user)
