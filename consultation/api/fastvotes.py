"""The two busiest API writes without the framework: supports and statement votes sent with an
API token, answered by one SQL statement on PostgreSQL.

`POST /api/v1/contributions/<id>/support/` and `POST /api/v1/statements/<id>/vote/` are the
requests a campaign receives by the thousand (bench/votes). Through Django and DRF, a vote costs
about 13 ms of processor time, ~50 times the SQL it runs. This ASGI middleware answers the
common case itself: a valid API token, an item the rules let the person vote on, a well-formed
body. It checks and writes in one statement, which re-checks the token, the account, the item
and the campaign's state and phase in the same snapshot as the write; the API's rate limit is
counted in the same Redis counters.

It answers only what it can prove the API would answer with a success, byte for byte the same
body, status and headers. Everything else goes on to Django unchanged (the body it read is
replayed): no token or a session cookie (session requests need Django's CSRF check), an unknown
token, an item the rules refuse, a malformed body, a throttled person, an unexpected host, a
plain-HTTP request where HTTPS is required, SQLite or a cache other than Redis. Django then
gives the usual answer with its French message, so every refusal has a single source. The
conditions below mirror `consultation.rules.POLICIES["support"]` and `["vote_statement"]`;
tests/consultation/api/test_fastvotes.py checks them against `check_permission` on every
combination of account, item, campaign and phase.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import weakref

import asyncpg
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.http.request import split_domain_port, validate_host
from django.utils import timezone
from redis.exceptions import RedisError

from consultation.api.throttles import COUNTED_BY_FAST_PATH, AccountRateThrottle
from consultation.security import policy_header

logger = logging.getLogger(__name__)

ROUTE = re.compile(rb"/api/v1/(contributions|statements)/([1-9][0-9]{0,17})/(support|vote)/")
CHOICES = {"agree": 1, "disagree": -1, "pass": 0}
MAX_BODY = 1024  # a vote's body is ~20 bytes; anything bigger is Django's to judge


# The person: the token's account, active (rules: LOGIN) with a verified address (rules:
# VERIFIED, as User.has_verified_email), read by every statement, so a revoked token or a
# closed account is refused from the next request on.
_WHO = """
    who AS (
        SELECT u.id FROM {token} t JOIN {user} u ON u.id = t.user_id
        WHERE t.key = $1 AND u.is_active
          AND u.email_verified_at IS NOT NULL AND u.email <> '' AND u.deleted_at IS NULL
    )"""

# The campaign's running phase allows it (rules: phase_allows_*). Django takes the first running
# phase in (position, starts_at) order; accepting only when every running phase allows it (and
# one runs: bool_and of no row is NULL) agrees with that whatever the order, and what it does not
# accept, Django decides.
_PHASE_ALLOWS = """
    (SELECT bool_and(p.{flag}) FROM {phase} p
     WHERE p.campaign_id = k.id AND p.starts_at <= $3 AND $3 < p.ends_at)"""

# The counts returned are those of the statement's snapshot with the person's own row as it is
# after the write: the tallies of committed votes, minus the person's row if the snapshot has it,
# plus the row written. (The write's own trigger updates the tallies after the snapshot; a
# concurrent identical request's row, committed meanwhile, is the same row.)

# rules.POLICIES["support"]: LOGIN, VERIFIED, a proposal, OPEN, PUBLISHED, NOT_MERGED, phase allows.
_SUPPORT = """
WITH {who},
    target AS (
        SELECT c.id FROM {contribution} c JOIN {campaign} k ON k.id = c.campaign_id
        WHERE c.id = $2 AND c.kind = '{proposal}' AND k.status = '{open}'
          AND c.visibility = '{published}' AND c.merged_into_id IS NULL
          AND {supports_allowed}
    ),
    previous AS (  -- both keys of the unique index, whatever the statistics say
        SELECT 1 FROM {support} s
        WHERE s.contribution_id = $2 AND s.user_id = (SELECT id FROM who)
    ),
    added AS (
        INSERT INTO {support} (contribution_id, user_id, created_at)
        SELECT target.id, who.id, $3::timestamptz FROM who, target
        ON CONFLICT (contribution_id, user_id) DO NOTHING
        RETURNING 1
    )
SELECT (SELECT count(*) FROM who), (SELECT count(*) FROM target), (SELECT count(*) FROM added),
       (SELECT count(*) FROM previous),
       (SELECT coalesce(sum(n), 0) FROM {support_tally} WHERE contribution_id = $2)
"""

# rules.POLICIES["vote_statement"]: LOGIN, VERIFIED, a statement, OPEN, PUBLISHED, phase
# allows. A re-vote replaces the choice, as cast_vote's upsert does.
_VOTE = """
WITH {who},
    target AS (
        SELECT s.id, s.campaign_id FROM {statement} s JOIN {campaign} k ON k.id = s.campaign_id
        WHERE s.id = $2 AND k.status = '{open}' AND s.visibility = '{published}'
          AND {votes_allowed}
    ),
    previous AS (  -- both keys of the unique index, whatever the statistics say
        SELECT v.choice FROM {vote} v
        WHERE v.statement_id = $2 AND v.user_id = (SELECT id FROM who)
    ),
    cast_vote AS (
        INSERT INTO {vote} (statement_id, user_id, choice, created_at, updated_at)
        SELECT target.id, who.id, $4::smallint, $3::timestamptz, $3::timestamptz
        FROM who, target
        ON CONFLICT (statement_id, user_id)
        DO UPDATE SET choice = EXCLUDED.choice, updated_at = EXCLUDED.updated_at
        RETURNING 1
    )
SELECT (SELECT count(*) FROM who), (SELECT campaign_id FROM target),
       (SELECT count(*) FROM cast_vote), (SELECT choice FROM previous),
       coalesce(sum(agree), 0), coalesce(sum(disagree), 0), coalesce(sum(passed), 0)
FROM {vote_tally} WHERE statement_id = $2
"""


def _statements() -> tuple[str, str]:
    """The two statements, with the tables' names and the choices' values read from the
    models (nothing from a request goes in here: requests' values are parameters)."""
    from rest_framework.authtoken.models import Token

    from consultation.models import (
        Campaign,
        Contribution,
        Phase,
        Statement,
        StatementVote,
        Support,
        SupportTally,
        User,
        VoteTally,
    )
    from consultation.models.contributions import Visibility

    names = {
        "token": Token._meta.db_table,
        "user": User._meta.db_table,
        "campaign": Campaign._meta.db_table,
        "phase": Phase._meta.db_table,
        "contribution": Contribution._meta.db_table,
        "support": Support._meta.db_table,
        "support_tally": SupportTally._meta.db_table,
        "statement": Statement._meta.db_table,
        "vote": StatementVote._meta.db_table,
        "vote_tally": VoteTally._meta.db_table,
        "published": Visibility.PUBLISHED.value,
        "open": Campaign.Status.PUBLISHED.value,
        "proposal": Contribution.Kind.PROPOSAL.value,
    }
    names["who"] = _WHO.format(**names)
    names["supports_allowed"] = _PHASE_ALLOWS.format(flag="allows_supports", **names)
    names["votes_allowed"] = _PHASE_ALLOWS.format(flag="allows_votes", **names)
    return _SUPPORT.format(**names), _VOTE.format(**names)


class _Pools:
    """One asyncpg pool and one Redis client per event loop (Daphne and uvicorn run one; the
    tests run several, one after another). asyncpg rather than psycopg, which Django uses: for
    this one statement it costs about half the processor time per request (bench/RESULTS.md)."""

    def __init__(self):
        self._by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    async def get(self):
        """The loop's pool and Redis client; the first requests of a burst wait for the same
        opening instead of each opening a pool of their own."""
        loop = asyncio.get_running_loop()
        opening = self._by_loop.get(loop)
        if opening is None:
            opening = self._by_loop[loop] = loop.create_task(self._open())
        try:
            return await opening
        except BaseException:
            if self._by_loop.get(loop) is opening:
                del self._by_loop[loop]  # the next request tries again
            raise

    def open_client(self):
        """This loop's Redis client if its pools are open, else None (opens nothing)."""
        opening = self._by_loop.get(asyncio.get_running_loop())
        if opening is None or not opening.done() or opening.exception():
            return None
        return opening.result()[1]

    async def close(self) -> None:
        opening = self._by_loop.pop(asyncio.get_running_loop(), None)
        if opening is not None and opening.done() and not opening.exception():
            pool, client = opening.result()
            await pool.close()
            await client.aclose()

    async def _open(self):
        import asyncpg
        import redis.asyncio as redis

        database = settings.DATABASES["default"]
        options = database.get("OPTIONS", {})
        size = getattr(settings, "DATABASE_POOL_SIZE", 0) or 10
        pool = await asyncpg.create_pool(
            host=database.get("HOST") or None,
            port=int(database["PORT"]) if database.get("PORT") else None,
            user=database.get("USER") or None,
            password=database.get("PASSWORD") or None,
            database=database["NAME"],
            ssl=options.get("sslmode"),
            # Every connection opened at once: opening one under load takes tens of ms.
            min_size=size,
            max_size=size,
            timeout=10,  # to connect
            # asyncpg's default reset runs one more query on every release (unlisten, unlock,
            # RESET ALL) to undo session state; these statements leave none.
            reset=_no_reset,
        )
        location = settings.CACHES["default"]["LOCATION"]
        client = redis.Redis.from_url(location[0] if isinstance(location, list) else location)
        return pool, client


async def _no_reset(connection) -> None:
    return None


class VoteFastPath:
    """ASGI middleware in front of Django's HTTP application (see the module docstring)."""

    def __init__(self, app):
        self.app = app
        self.pools = _Pools()
        self._sql: tuple[str, str] | None = None
        self.queued_until: dict[int, float] = {}
        self.hits = _Hits()
        self._enabled: bool | None = None
        self._make_key = None
        setting_changed.connect(self._settings_changed, weak=False)

    @property
    def enabled(self) -> bool:
        if self._enabled is None:
            self._enabled = bool(
                getattr(settings, "FAST_VOTES", True)
                and settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
                and settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
            )
        return self._enabled

    def _settings_changed(self, setting, **kwargs) -> None:
        if setting in ("FAST_VOTES", "DATABASES", "CACHES"):  # tests override them
            self._enabled = None
            self._make_key = None

    def make_key(self, key: str) -> str:
        """The cache's full key (prefix, version), as Django's cache writes it."""
        if self._make_key is None:
            self._make_key = cache.make_key  # bound to this process's cache backend
        return self._make_key(key)

    async def flush(self) -> None:
        """Add the rate-limit hits counted here to Redis now (they go in batches): tests
        await it before reading the counters; closing does it too."""
        redis = self.pools.open_client()
        if redis is not None:
            await self.hits.flush(redis)

    async def aclose(self) -> None:
        """Send the hits counted, close this event loop's connections (tests: each runs its
        own loop)."""
        await self.flush()
        await self.pools.close()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or not self.enabled:
            return await self.app(scope, receive, send)
        route = ROUTE.fullmatch(scope.get("raw_path") or scope["path"].encode())
        request = _Request.parse(scope, route)
        if request is None:
            return await self.app(scope, receive, send)
        body, messages = await _read_body(receive)
        answer = None
        if body is not None:
            try:
                answer = await self.answer(scope, request, body)
            except (
                asyncpg.PostgresError,
                asyncpg.InterfaceError,
                RedisError,
                OSError,
                TimeoutError,
            ):
                # PostgreSQL or Redis unreachable or slow: Django answers, as it would without
                # this path (its own error if the service is really down).
                logger.exception("Chemin court des votes indisponible : la requête va à Django")
        if answer is None:
            return await self.app(scope, _replay(messages, receive), send)
        status, payload, allow = answer
        await _respond(send, status, payload, allow, request.secure)

    async def answer(self, scope, request: _Request, body: bytes):
        """(status, body, allowed methods) of the success, or None to let Django answer."""
        choice = None
        if request.kind == "vote":
            choice = _parse_choice(request.content_type, body)
            if choice is None:
                return None
        pool, redis = await self.pools.get()
        token = request.token.decode()
        if not await self._count_hit(redis, token):
            return None  # Django answers 429
        scope[COUNTED_BY_FAST_PATH] = True  # Django, if it answers, does not count it again
        if self._sql is None:
            self._sql = _statements()
        now = timezone.now()
        if request.kind == "support":
            async with pool.acquire() as connection:
                row = await connection.fetchrow(self._sql[0], token, request.item, now)
            known, allowed, added, previous, tallied = row
            if not (known and allowed):
                return None
            count = tallied - previous + 1
            status = 201 if added else 200
            return status, {"supported": True, "supports_count": count}, SUPPORT_METHODS
        async with pool.acquire() as connection:
            row = await connection.fetchrow(self._sql[1], token, request.item, now, CHOICES[choice])
        known, campaign_id, cast, previous, agree, disagree, passed = row
        if not (known and campaign_id and cast):
            return None
        counts = {1: agree, -1: disagree, 0: passed}
        if previous is not None:
            counts[previous] -= 1
        counts[CHOICES[choice]] += 1
        await self._schedule_recomputation(redis, campaign_id)
        result = {
            "choice": choice,
            "agree_count": counts[1],
            "disagree_count": counts[-1],
            "pass_count": counts[0],
        }
        return 200, result, VOTE_METHODS

    async def _count_hit(self, redis, token: str) -> bool:
        """One hit on the token's API rate limit, in the counter the API's throttle reads
        (consultation.api.throttles); False past the limit."""
        limit, period = AccountRateThrottle.limits()
        if limit is None:
            return True
        key = self.make_key(AccountRateThrottle.counter_key(token, period))
        if self.hits.hit(redis, key, limit, period + 1):
            return True
        await self.hits.flush(redis)  # Django, which answers the 429, counts on Redis's total
        return False

    async def _schedule_recomputation(self, redis, campaign_id: int) -> None:
        """As `schedule_recomputation` after a vote: the first vote of a window queues one.
        While this process knows a recomputation is queued, it does not ask Redis again."""
        from consultation.actions.opinions import (
            RECOMPUTE_WINDOW,
            enqueue_recomputation,
            recomputation_marker,
        )

        now = time.monotonic()
        if self.queued_until.get(campaign_id, 0) > now:
            return
        key = self.make_key(recomputation_marker(campaign_id))
        pipe = redis.pipeline(transaction=False)
        pipe.set(key, 1, nx=True, ex=RECOMPUTE_WINDOW)
        pipe.pttl(key)
        queued_here, left_ms = await pipe.execute()
        self.queued_until[campaign_id] = now + max(left_ms, 0) / 1000
        if queued_here:
            await sync_to_async(enqueue_recomputation)(campaign_id)


class _Hits:
    """Rate-limit hits counted here and added to the Redis counters in batches.

    A vote counts its hit in memory; every FLUSH_SECONDS one pipeline adds the hits gathered
    to Redis (INCRBY) and reads back each counter's total. The check is the last total read plus
    the hits on their way to Redis plus those not yet sent, so this process never lets a token
    past its limit on its own, even while a batch is in flight; hits from other processes are
    seen at most FLUSH_SECONDS late. Sending each hit at once costs a Redis round trip per vote,
    about as much processor time as the vote's SQL.
    """

    FLUSH_SECONDS = 0.05

    def __init__(self):
        self.pending: dict[str, int] = {}
        self.sending: dict[str, int] = {}  # the batch in flight, not yet in `known`
        self.known: dict[str, tuple[int, float]] = {}  # key: (total in Redis, until)
        self.ttl: dict[str, int] = {}
        self.flushing: asyncio.Task | None = None
        self.in_flight: asyncio.Future | None = None
        self.pruned_at = 0.0

    def counted(self, key: str) -> int:
        """The key's hits as far as this process knows: in Redis, on their way, waiting."""
        return self.known.get(key, (0, 0))[0] + self.sending.get(key, 0) + self.pending.get(key, 0)

    def hit(self, redis, key: str, limit: int, ttl: int) -> bool:
        if self.counted(key) + 1 > limit:
            return False
        self.pending[key] = self.pending.get(key, 0) + 1
        self.ttl[key] = ttl
        if self.flushing is None:
            self.flushing = asyncio.get_running_loop().create_task(self._flush_soon(redis))
        return True

    async def _flush_soon(self, redis) -> None:
        try:
            await asyncio.sleep(self.FLUSH_SECONDS)
            await self.flush(redis)
        finally:
            self.flushing = None

    async def flush(self, redis) -> None:
        """Send the hits gathered; on return, every hit counted before the call is in Redis
        (a batch already in flight included: Django reads Redis's total right after)."""
        while self.in_flight is not None and not self.in_flight.done():
            if self.in_flight.get_loop() is not asyncio.get_running_loop():
                break  # left by a loop that has ended (tests run one loop after another)
            await self.in_flight
        batch, self.pending = self.pending, {}
        if not batch:
            return
        self.sending = batch
        self.in_flight = asyncio.get_running_loop().create_future()
        totals = None
        try:
            totals = await self._send(redis, batch)
        finally:
            self.sending = {}
            self.in_flight.set_result(None)
            self.in_flight = None
            if totals is None:  # Redis did not take them (or the loop ended): next flush
                for key, count in batch.items():
                    self.pending[key] = self.pending.get(key, 0) + count
        if totals is None:
            return
        now = time.monotonic()
        for key, total in zip(batch, totals, strict=True):
            self.known[key] = (int(total), now + self.ttl[key])
        if now > self.pruned_at + 1:  # a window's key is never read again once it is over
            self.known = {key: known for key, known in self.known.items() if known[1] > now}
            self.ttl = {key: self.ttl[key] for key in self.pending}
            self.pruned_at = now

    async def _send(self, redis, batch: dict[str, int]) -> list[int] | None:
        """INCRBY each key; the totals, or None if Redis did not take them."""
        pipe = redis.pipeline(transaction=False)
        for key, count in batch.items():
            pipe.incrby(key, count)
            pipe.expire(key, self.ttl[key], nx=True)
        try:
            return (await pipe.execute())[::2]
        except Exception:
            logger.exception("Compteurs de limitation non envoyés à Redis")
            return None


SUPPORT_METHODS = b"POST, DELETE, OPTIONS"
VOTE_METHODS = b"POST, OPTIONS"


class _Request:
    __slots__ = ("content_type", "item", "kind", "secure", "token")

    @classmethod
    def parse(cls, scope, route) -> _Request | None:
        """The request's route and token, or None when it is not one this path answers."""
        if route is None or scope.get("query_string"):
            return None
        collection, item, action = route.groups()
        if (collection, action) not in ((b"contributions", b"support"), (b"statements", b"vote")):
            return None
        token = content_type = host = None
        proto = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                parts = value.split()
                if len(parts) != 2 or parts[0].lower() != b"token" or token is not None:
                    return None
                token = parts[1]
            elif name == b"cookie":
                if settings.SESSION_COOKIE_NAME.encode() + b"=" in value:
                    return None  # DRF tries the session first, with its CSRF check
            elif name == b"content-type":
                content_type = value
            elif name == b"host":
                host = value
            elif name == b"x-forwarded-proto":
                proto = value
        if token is None or not token.isascii() or len(token) > 40 or not _host_ok(host):
            return None
        secure = _is_secure(scope, proto)
        if settings.SECURE_SSL_REDIRECT and not secure:
            return None
        request = cls()
        request.secure = secure
        request.kind = "support" if action == b"support" else "vote"
        request.item = int(item)
        request.token = token
        request.content_type = content_type
        return request


def _host_ok(host: bytes | None) -> bool:
    if not host:
        return False
    domain, _port = split_domain_port(host.decode("latin-1"))
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


def _is_secure(scope, proto: bytes) -> bool:
    if scope.get("scheme") == "https":
        return True
    header = settings.SECURE_PROXY_SSL_HEADER
    return bool(header and header[0] == "HTTP_X_FORWARDED_PROTO" and proto == b"https")


def _parse_choice(content_type: bytes | None, body: bytes) -> str | None:
    if content_type is None or content_type.split(b";")[0].strip().lower() != b"application/json":
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or set(data) != {"choice"}:
        return None
    choice = data["choice"]
    return choice if isinstance(choice, str) and choice in CHOICES else None


async def _read_body(receive) -> tuple[bytes | None, list[dict]]:
    """The request's body if it is small, and every message read (to replay them)."""
    messages, chunks, size = [], [], 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None, messages
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), messages


def _replay(messages: list[dict], receive):
    pending = list(messages)

    async def replayed():
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


# What Django's middleware adds to an API answer (SecurityMiddleware, XFrameOptions, the
# locale middleware, the Content-Security-Policy, DRF's Vary and Allow); tests compare them
# with Django's own answer.
def _headers(allow: bytes, length: int, secure: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-type", b"application/json"),
        (b"vary", b"Accept, Accept-Language, Cookie"),
        (b"allow", allow),
        (b"x-frame-options", settings.X_FRAME_OPTIONS.encode()),
        (b"content-length", str(length).encode()),
        (b"content-language", settings.LANGUAGE_CODE.encode()),
    ]
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append((b"x-content-type-options", b"nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        headers.append((b"referrer-policy", settings.SECURE_REFERRER_POLICY.encode()))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(
            (b"cross-origin-opener-policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode())
        )
    headers.append((b"content-security-policy", policy_header().encode()))
    if secure and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        headers.append((b"strict-transport-security", hsts.encode()))
    return headers


async def _respond(send, status: int, payload: dict, allow: bytes, secure: bool) -> None:
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = _headers(allow, len(body), secure)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
