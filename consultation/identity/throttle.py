"""One policy for every door that checks a password: the login form, the admin login, the API
token, and the password reset form.

Failures are counted per (account, address) and per address. Counting per account alone let
anyone lock the owner out from anywhere (21 wrong passwords for an email refused its owner for
the hour, right password included): here the owner from another address signs in at once,
while the guessing address is refused for that account, and an address that fails across many
accounts (password spraying) is refused for all of them.

`LoginThrottleBackend` sits before ModelBackend in AUTHENTICATION_BACKENDS, so every door that
calls `authenticate()` shares it: it refuses a locked pair or address *before* the password is
checked (otherwise the right password would still get through a lock). Failures are counted
from Django's `user_login_failed` signal, successes reset the pair from `user_logged_in` (and
the API token, which logs no one in, calls `record_success`).

Counters are fixed windows in the cache (consultation.ratelimit.count_hit), so Redis in
production shares them between processes.
"""

import hashlib
import math
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.utils.translation import gettext as _

from consultation.errors import ActionRefused
from consultation.ratelimit import client_address, count_hit

# Set on the request by the backend when it refused a locked pair or address: the doors read
# it to answer 429 instead of "wrong password".
REFUSED_ATTR = "login_throttle_retry_after"


def _policy() -> dict:
    return settings.LOGIN_THROTTLE


def _digest(email: str) -> str:
    # Cache keys hold no address in clear (the cache may be shared or dumped).
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def _window(period: int) -> tuple[int, int]:
    """The current fixed window's number and the seconds left in it (at least 1)."""
    now = time.time()
    return int(now // period), max(1, math.ceil(period - now % period))


def _pair_key(email: str, address: str) -> tuple[str, int, int]:
    period = _policy()["PAIR_WINDOW"]
    window, left = _window(period)
    return f"login:pair:{_digest(email)}:{address}:{window}", period, left


def _address_key(address: str) -> tuple[str, int, int]:
    period = _policy()["ADDRESS_WINDOW"]
    window, left = _window(period)
    return f"login:addr:{address}:{window}", period, left


def _normalise(email) -> str:
    return (email or "").strip().lower() if isinstance(email, str) else ""


def retry_after(email: str, address: str) -> int | None:
    """Seconds until this email may be tried again from this address, or None if it may now."""
    policy = _policy()
    key, _period, left = _address_key(address)
    if cache.get(key, 0) >= policy["ADDRESS_FAILURES"]:
        return left
    key, _period, left = _pair_key(_normalise(email), address)
    if cache.get(key, 0) >= policy["PAIR_FAILURES"]:
        return left
    return None


def record_failure(email: str, address: str) -> None:
    for key, period, _left in (_pair_key(_normalise(email), address), _address_key(address)):
        count_hit(key, period)


def record_success(email: str, address: str) -> None:
    """The owner proved the password from here: their own earlier typos no longer count. The
    address counter is kept: one success must not open a spraying address to every account."""
    cache.delete(_pair_key(_normalise(email), address)[0])


def throttled_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return _(
        "Trop de tentatives de connexion depuis votre adresse : pour votre sécurité, "
        "réessayez dans %(minutes)s min. Si vous avez oublié votre mot de passe, demandez-en "
        "un nouveau."
    ) % {"minutes": minutes}


def refusal(request) -> int | None:
    """Seconds to wait if the backend refused this request's sign-in because of a lock."""
    return getattr(request, REFUSED_ATTR, None) if request is not None else None


def _credential_email(credentials: dict) -> str:
    username_field = get_user_model().USERNAME_FIELD
    return _normalise(credentials.get("username") or credentials.get(username_field))


class LoginThrottleBackend:
    """Refuses a sign-in by password from a locked (account, address) pair or address, before
    any password is checked; lets the next backend (ModelBackend) decide otherwise.

    Raising PermissionDenied stops `authenticate()` at once: no other backend is tried."""

    def authenticate(self, request, username=None, password=None, **credentials):
        if request is None or password is None:
            return None  # not a password sign-in from a web request (e.g. a shell)
        email = _normalise(username or credentials.get(get_user_model().USERNAME_FIELD))
        wait = retry_after(email, client_address(request))
        if wait is not None:
            setattr(request, REFUSED_ATTR, wait)
            raise PermissionDenied
        return None

    # No get_user(): sessions name ModelBackend, which serves them (force_login and login()
    # pick the first backend that has one).


@receiver(user_login_failed, dispatch_uid="login_throttle_count_failure")
def _count_failure(sender, credentials, request=None, **kwargs):
    # A refusal by the lock checked no password: counting it would let an attacker keep a
    # shared address locked for ever at no cost beyond the refusals themselves.
    if request is None or refusal(request) is not None or "password" not in credentials:
        return
    record_failure(_credential_email(credentials), client_address(request))


@receiver(user_logged_in, dispatch_uid="login_throttle_reset_on_success")
def _reset_on_success(sender, request, user, **kwargs):
    if request is not None and user.email:
        record_success(user.email, client_address(request))


def check_password_reset(request, email: str) -> None:
    """Password reset sends an email to an address typed by anyone: limited per target email
    (a mailbox is not flooded from many addresses) and per source address (one address cannot
    mail many people), and refused to an address locked for spraying."""
    policy = _policy()
    address = client_address(request)
    wait = _address_key(address)[2] if _address_locked(address) else None
    for key, limit in (
        (f"login:reset:email:{_digest(_normalise(email))}", policy["RESET_PER_EMAIL"]),
        (f"login:reset:addr:{address}", policy["RESET_PER_ADDRESS"]),
    ):
        window, left = _window(policy["RESET_WINDOW"])
        if count_hit(f"{key}:{window}", policy["RESET_WINDOW"]) > limit:
            wait = max(wait or 0, left)
    if wait is not None:
        raise Throttled(
            _(
                "Trop de demandes de nouveau mot de passe : réessayez dans %(minutes)s min. "
                "Si un message vous a déjà été envoyé, vérifiez vos courriels indésirables."
            )
            % {"minutes": max(1, math.ceil(wait / 60))},
            wait,
        )


def _address_locked(address: str) -> bool:
    return cache.get(_address_key(address)[0], 0) >= _policy()["ADDRESS_FAILURES"]


class Throttled(ActionRefused):
    """A door refused for the policy; `retry_after` in seconds goes into the Retry-After
    header."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, code="throttled")
        self.retry_after = retry_after


def refused_sign_in(request) -> Throttled | None:
    """The refusal to show when the backend stopped this request's sign-in, if it did."""
    wait = refusal(request)
    return Throttled(throttled_message(wait), wait) if wait is not None else None
