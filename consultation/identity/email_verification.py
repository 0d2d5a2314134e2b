"""Links that prove a person reads the address they gave: 48 hours, single use.

The token is Django's password-reset token with its own salt and hash: it covers the address to
verify (`email`, or `pending_email` during a change) and `email_verified_at`, so it stops
working once used (the date is set, or the pending address becomes the address) and when the
person asks for another address meanwhile. Django's own check reads
settings.PASSWORD_RESET_TIMEOUT; this one has its own lifetime, so password-reset links keep
theirs.
"""

from datetime import timedelta

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

LIFETIME = timedelta(hours=48)


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "consultation.identity.email_verification"

    def _make_hash_value(self, user, timestamp) -> str:
        verified_at = user.email_verified_at
        verified = "" if verified_at is None else verified_at.replace(microsecond=0, tzinfo=None)
        return f"{user.pk}|{user.email}|{user.pending_email}|{verified}|{timestamp}"

    def check_token(self, user, token) -> bool:
        """Whether the token was made for this account in its present state, less than
        LIFETIME ago (any SECRET_KEY_FALLBACKS still accepted, as Django does)."""
        if not (user and isinstance(token, str)):
            return False
        try:
            ts_b36, _hash = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        age = self._num_seconds(self._now()) - timestamp
        return age <= LIFETIME.total_seconds()


email_verification_token = EmailVerificationTokenGenerator()


def address_to_verify(user) -> str:
    """Where the next link goes: the new address asked for, else the unverified address, else
    nowhere (already verified)."""
    if user.pending_email:
        return user.pending_email
    if user.email and user.email_verified_at is None and not user.deleted_at:
        return user.email
    return ""


def link_path_args(user) -> dict:
    """The kwargs of the frontend:verify_email route for a fresh link."""
    return {
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": email_verification_token.make_token(user),
    }
