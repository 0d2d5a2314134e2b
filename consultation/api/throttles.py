"""The API's rate limits: DRF's throttles, counted in fixed windows.

DRF's own throttles keep a list of timestamps per person in the cache and rewrite it on every
request. These count one integer per window (`consultation.ratelimit.count_hit`, one INCR in
Redis): per address without an account, per account with a session, and per API token with a
token (an account has at most one). The vote fast path (`consultation.api.fastvotes`) counts
its requests in the same token counters, so its votes and the token's other requests share one
limit, and a request it counted and then handed to Django is not counted twice.
"""

import hashlib
import time

from django.conf import settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from consultation.ratelimit import count_hit

COUNTED_BY_FAST_PATH = "consultation.throttle_counted"


class FixedWindowMixin:
    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        now = time.time()
        key = f"{ident}:{int(now // self.duration)}"
        self.wait_seconds = self.duration - now % self.duration
        scope = getattr(request._request, "scope", None) or {}
        if scope.get(COUNTED_BY_FAST_PATH):
            from django.core.cache import cache

            hits = cache.get(key, 0)
        else:
            hits = count_hit(key, self.duration)
        return hits <= self.num_requests

    def wait(self) -> float:
        return self.wait_seconds


class AnonymousRateThrottle(FixedWindowMixin, AnonRateThrottle):
    """Per address, for requests without an account (THROTTLE_ANON)."""


def token_ident(key: str) -> str:
    """A token's name in the counters: keyed by the secret key, so the cache never holds a
    token that would let someone act for its owner."""
    digest = hashlib.blake2b(key.encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=12)
    return "token-" + digest.hexdigest()


class AccountRateThrottle(FixedWindowMixin, UserRateThrottle):
    """Per account with a session, per token with a token (THROTTLE_USER)."""

    def get_cache_key(self, request, view):
        if isinstance(request.auth, Token):
            return self.cache_format % {"scope": self.scope, "ident": token_ident(request.auth.key)}
        return super().get_cache_key(request, view)

    @classmethod
    def limits(cls) -> tuple[int | None, int]:
        rate = cls.THROTTLE_RATES.get(cls.scope)
        if rate is None:
            return None, 1
        return UserRateThrottle.parse_rate(None, rate)

    @classmethod
    def counter_key(cls, token: str, period: int) -> str:
        ident = cls.cache_format % {"scope": cls.scope, "ident": token_ident(token)}
        return f"{ident}:{int(time.time() // period)}"
