"""Fixed-window rate limits kept in the cache (Redis in production, local memory on a laptop)."""

import time

from django.conf import settings
from django.core.cache import cache

from consultation.errors import ActionRefused

_PERIODS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/h' -> (10, 3600). A malformed rate is a configuration error, raised at once."""
    try:
        count, period = rate.split("/")
        return int(count), _PERIODS[period]
    except (ValueError, KeyError) as exc:
        raise ValueError(f"Limite de débit invalide : {rate!r} (attendu par ex. '10/h').") from exc


def check_rate(scope: str, key: str, rate: str) -> None:
    """Count one hit for `key` in `scope`; raise ActionRefused past the limit."""
    limit, period = parse_rate(rate)
    window = int(time.time() // period)
    if count_hit(f"rl:{scope}:{key}:{window}", period) > limit:
        raise ActionRefused(
            "Trop de demandes en peu de temps : merci de patienter avant de réessayer.",
            code="throttled",
        )


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
