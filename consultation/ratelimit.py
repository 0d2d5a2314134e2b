"""Fixed-window rate limits kept in the cache (Redis in production, local memory on a laptop).

Two ways to count. `check_rate` counts every attempt, refused or not: for doors that guard
against guessing (joining a workshop with a code). Writes that a person makes (contributions,
comments, reports) count only what was written: `ensure_rate_left` before the write checks
without counting, `count_on_commit` inside the write's transaction counts once it commits, so a
refused input or a database outage does not use up the person's limit.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from consultation.errors import ActionRefused

_PERIODS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/h' -> (10, 3600). A malformed rate is a configuration error, raised at once."""
    try:
        count, period = rate.split("/")
        return int(count), _PERIODS[period]
    except (ValueError, KeyError) as exc:
        raise ValueError(f"Limite de débit invalide : {rate!r} (attendu par ex. '10/h').") from exc


THROTTLED = "Trop de demandes en peu de temps : merci de patienter avant de réessayer."


def _window_key(scope: str, key: str, period: int) -> str:
    return f"rl:{scope}:{key}:{int(time.time() // period)}"


def check_rate(scope: str, key: str, rate: str) -> None:
    """Count one hit for `key` in `scope`; raise ActionRefused past the limit."""
    limit, period = parse_rate(rate)
    if count_hit(_window_key(scope, key, period), period) > limit:
        raise ActionRefused(THROTTLED, code="throttled")


def ensure_rate_left(scope: str, key: str, rate: str) -> None:
    """Raise ActionRefused if `key` has used up its limit in `scope`; count nothing (the write
    counts itself with `count_on_commit`).

    Requests of one person that run at the same time may all pass the check before any of
    them is counted: the limit can be overshot by the number of such requests (a handful for
    one person's browser or script), never by the failed ones."""
    limit, period = parse_rate(rate)
    if (cache.get(_window_key(scope, key, period)) or 0) >= limit:
        raise ActionRefused(THROTTLED, code="throttled")


def count_on_commit(scope: str, key: str, rate: str) -> None:
    """Count one hit for `key` in `scope` when the current transaction commits; nothing if it
    rolls back. Call inside the transaction that writes (outside one, it counts at once)."""
    _limit, period = parse_rate(rate)
    cache_key = _window_key(scope, key, period)
    # robust: the write is committed whatever happens to the counter (a cache outage).
    transaction.on_commit(lambda: count_hit(cache_key, period), robust=True)


def count_hit(cache_key: str, period: int) -> int:
    """Add one hit to a window's counter (created on first hit, gone after the window) and
    return the window's hits so far."""
    cache.add(cache_key, 0, timeout=period + 1)
    try:
        return cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.set(cache_key, 1, timeout=period + 1)
        return 1


def client_address(request) -> str:
    """The address a rate limit counts: REMOTE_ADDR, or behind TRUSTED_PROXY_HOPS proxies the
    entry of X-Forwarded-For that the outermost trusted proxy appended. Entries further left
    are written by the client and can be forged, so they are never used."""
    hops = settings.TRUSTED_PROXY_HOPS
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if hops > 0 and forwarded:
        return forwarded[-min(hops, len(forwarded))]
    return request.META.get("REMOTE_ADDR", "")
