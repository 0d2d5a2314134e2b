"""The vote fast path (consultation/api/fastvotes.py) against Django's own answers.

Requests go through the whole ASGI application (`consultation.asgi.application`), on PostgreSQL
with Redis (the fast path is off on SQLite), in a transactional test: the fast path writes with
its own connections. A request answered by Django is recognised by Django's request_started
signal; one answered by the fast path never reaches Django.
"""

import asyncio
import itertools
import json
import re
from datetime import timedelta

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.signals import request_started
from django.db import connection, connections
from django.test import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from consultation.actions.opinions import recomputation_marker
from consultation.api.throttles import AccountRateThrottle
from consultation.asgi import application
from consultation.errors import ActionRefused
from consultation.models import Campaign, Contribution, StatementVote, Support
from consultation.models.contributions import Visibility
from consultation.rules import check_permission
from tests import factories
from tests.conftest import IN_CI, require_postgresql

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

fast_path = application.application_mapping["http"]


@pytest.fixture(autouse=True)
def _needs_postgresql_and_redis():
    require_postgresql(connection)
    if not django_settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        message = "ce test a besoin de Redis (lancé par la passe « services » de make test)"
        pytest.fail(message) if IN_CI else pytest.skip(message)


class Seen:
    """Counts the requests Django handled (the others were answered by the fast path)."""

    def __init__(self):
        self.by_django = 0

    def __call__(self, **kwargs):
        self.by_django += 1


@pytest.fixture
def seen():
    counter = Seen()
    request_started.connect(counter)
    yield counter
    request_started.disconnect(counter)


def send_all(requests, concurrently=False):
    """Send (path, token, body, headers) requests to the ASGI application; the responses."""

    async def scenario():
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

            async def one(path, token, body=None, headers=None):
                headers = dict(headers or {})
                if token:
                    headers.setdefault("Authorization", f"Token {token}")
                if isinstance(body, dict):
                    body = json.dumps(body).encode()
                    headers.setdefault("Content-Type", "application/json")
                return await client.post(path, content=body, headers=headers)

            try:
                if concurrently:
                    return await asyncio.gather(*(one(*r) for r in requests))
                return [await one(*r) for r in requests]
            finally:
                await fast_path.aclose()
                await sync_to_async(connections.close_all)()  # the request thread's

    return asyncio.run(scenario())


def send(path, token, body=None, headers=None):
    return send_all([(path, token, body, headers)])[0]


def token_of(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def support_path(contribution) -> str:
    return f"/api/v1/contributions/{contribution.pk}/support/"


def vote_path(statement) -> str:
    return f"/api/v1/statements/{statement.pk}/vote/"


# --- The same decisions as the rules ------------------------------------------------------------

PHASES = {
    "allows": [{"allows_supports": True, "allows_votes": True}],
    "forbids": [{"allows_supports": False, "allows_votes": False}],
    "none running": [],
    "two, one forbids": [
        {"allows_supports": True, "allows_votes": True, "position": 1},
        {"allows_supports": False, "allows_votes": False, "position": 2},
    ],
}


def campaigns_in_every_state():
    for status, phases in itertools.product(Campaign.Status.values, PHASES):
        campaign = factories.CampaignFactory(status=status)
        for flags in PHASES[phases]:
            factories.PhaseFactory(campaign=campaign, **flags)
        if phases == "none running":
            factories.PhaseFactory(
                campaign=campaign,
                starts_at=timezone.now() - timedelta(days=20),
                ends_at=timezone.now() - timedelta(days=1),
            )
        yield campaign


def test_a_support_is_answered_here_exactly_when_the_rules_allow_it(seen):
    people = [
        factories.UserFactory(),
        factories.UserFactory(is_active=False),
        factories.UserFactory(email_verified_at=None),
    ]
    tokens = {person.pk: token_of(person) for person in people}
    cases = []
    for campaign in campaigns_in_every_state():
        target = factories.ContributionFactory(campaign=campaign)
        for kind, visibility, merged in itertools.product(
            [Contribution.Kind.PROPOSAL, Contribution.Kind.QUESTION],
            Visibility.values,
            [False, True],
        ):
            contribution = factories.ContributionFactory(
                campaign=campaign,
                kind=kind,
                visibility=visibility,
                merged_into=target if merged else None,
            )
            cases += [(person, contribution) for person in people]

    responses = send_all([(support_path(c), tokens[p.pk], None, None) for p, c in cases])

    allowed = []
    for (person, contribution), response in zip(cases, responses, strict=True):
        try:
            check_permission(person, "support", contribution)
        except ActionRefused:
            assert response.status_code in (401, 403, 404), (contribution, response.text)
            assert not Support.objects.filter(user=person, contribution=contribution).exists()
        else:
            allowed.append(contribution.campaign)
            assert response.status_code == 201
            assert response.json() == {"supported": True, "supports_count": 1}
    # An open campaign, a published unmerged proposal, the active person; where two phases run
    # and the first allows, Django accepts it (the fast path leaves overlaps to Django).
    assert len(allowed) == 2
    assert seen.by_django == len(cases) - 1


def test_a_vote_is_answered_here_exactly_when_the_rules_allow_it(seen):
    people = [
        factories.UserFactory(),
        factories.UserFactory(is_active=False),
        factories.UserFactory(email_verified_at=None),
    ]
    tokens = {person.pk: token_of(person) for person in people}
    cases = []
    for campaign in campaigns_in_every_state():
        for visibility in Visibility.values:
            statement = factories.StatementFactory(campaign=campaign, visibility=visibility)
            cases += [(person, statement) for person in people]

    responses = send_all(
        [(vote_path(s), tokens[p.pk], {"choice": "agree"}, None) for p, s in cases]
    )

    allowed = 0
    for (person, statement), response in zip(cases, responses, strict=True):
        try:
            check_permission(person, "vote_statement", statement)
        except ActionRefused:
            assert response.status_code in (401, 403, 404), (statement, response.text)
            assert not StatementVote.objects.filter(user=person, statement=statement).exists()
        else:
            allowed += 1
            assert response.status_code == 200
            expected = {"choice": "agree", "agree_count": 1, "disagree_count": 0, "pass_count": 0}
            assert response.json() == expected
    assert allowed == 2  # as for supports: the overlapping phases are Django's
    assert seen.by_django == len(cases) - 1


# --- The same answers as Django -----------------------------------------------------------------

IGNORED_HEADERS = {"date", "server", "content-length"}


def comparable(response) -> tuple:
    headers = {
        k.lower(): v for k, v in response.headers.items() if k.lower() not in IGNORED_HEADERS
    }
    # Each response has a nonce of its own: the same policy, another nonce.
    policy = headers["content-security-policy"]
    headers["content-security-policy"] = re.sub(r"'nonce-[^']+'", "'nonce-…'", policy)
    return response.status_code, response.json(), headers


def test_answers_are_djangos_status_body_and_headers(campaign, resident, other_resident, settings):
    proposals = factories.ContributionFactory.create_batch(2, campaign=campaign)
    statements = factories.StatementFactory.create_batch(2, campaign=campaign)
    for proposal in proposals:
        Support.objects.create(contribution=proposal, user=other_resident)
    token = token_of(resident)

    def scenario(proposal, statement):
        return send_all(
            [
                (support_path(proposal), token, None, None),  # added: 201
                (support_path(proposal), token, None, None),  # already there: 200
                (vote_path(statement), token, {"choice": "disagree"}, None),
                (vote_path(statement), token, {"choice": "pass"}, None),  # replaces
            ]
        )

    fast = scenario(proposals[0], statements[0])
    settings.FAST_VOTES = False
    slow = scenario(proposals[1], statements[1])

    assert [comparable(r) for r in fast] == [comparable(r) for r in slow]
    assert [r.status_code for r in fast] == [201, 200, 200, 200]
    assert fast[1].json() == {"supported": True, "supports_count": 2}
    assert fast[3].json() == {
        "choice": "pass",
        "agree_count": 0,
        "disagree_count": 0,
        "pass_count": 1,
    }


def test_over_https_behind_the_proxy_the_answer_carries_hsts_as_djangos(campaign, resident):
    proposals = factories.ContributionFactory.create_batch(2, campaign=campaign)
    token = token_of(resident)
    https = {"X-Forwarded-Proto": "https"}
    production = override_settings(
        SECURE_SSL_REDIRECT=True,
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
        SECURE_HSTS_SECONDS=3600,
        SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
        SECURE_HSTS_PRELOAD=True,
    )
    django_app = fast_path.app
    try:
        with production:
            django_app.load_middleware(is_async=True)  # SecurityMiddleware reads them once
            fast = send(support_path(proposals[0]), token, None, https)
            plain = send(support_path(proposals[0]), token)  # not HTTPS: Django redirects
            with override_settings(FAST_VOTES=False):
                slow = send(support_path(proposals[1]), token, None, https)
    finally:
        django_app.load_middleware(is_async=True)

    assert comparable(fast) == comparable(slow)
    assert fast.headers["strict-transport-security"] == "max-age=3600; includeSubDomains; preload"
    assert plain.status_code == 301


# --- Bad input: Django's French answer, nothing written -----------------------------------------


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (b"{", {"Content-Type": "application/json"}, "n'est pas un JSON valide"),
        ({"choice": "peut-être"}, None, "Vote : "),
        ({"choice": 1}, None, "Vote : "),
        ({}, None, "Vote : Ce champ est obligatoire."),
        (b"[]", {"Content-Type": "application/json"}, ""),
        (b"choice=agree&x=" + b"y" * 2000, {"Content-Type": "text/plain"}, ""),
        (json.dumps({"choice": "agree" * 400}).encode(), {"Content-Type": "application/json"}, ""),
    ],
    ids=["broken-json", "unknown-choice", "number", "empty", "list", "text-plain", "long-body"],
)
def test_a_malformed_vote_gets_djangos_french_error(
    campaign, resident, statement, body, headers, message, seen
):
    response = send(vote_path(statement), token_of(resident), body, headers)

    assert response.status_code in (400, 415)
    assert message in response.json()["detail"]
    assert seen.by_django == 1
    assert not StatementVote.objects.exists()


def test_a_big_valid_body_is_replayed_whole_to_django(campaign, resident, statement, seen):
    body = json.dumps({"choice": "agree", "note": "x" * 3000}).encode()

    response = send(
        vote_path(statement), token_of(resident), body, {"Content-Type": "application/json"}
    )

    assert response.status_code == 200  # Django read the whole body the fast path had read
    assert seen.by_django == 1
    assert StatementVote.objects.get().choice == StatementVote.Choice.AGREE


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Authorization": "Token"}, 401),
        ({"Authorization": "Token deux morceaux"}, 401),
        ({"Authorization": "Bearer 0123456789abcdef"}, 401),
        ({"Authorization": "Token " + "0" * 40}, 401),
        ({"Authorization": "Token é".encode()}, 401),
        ({"Host": "attaquant.example"}, 400),
    ],
    ids=["no-key", "two-parts", "bearer", "unknown", "not-ascii", "bad-host"],
)
def test_bad_credentials_or_host_get_djangos_answer(proposal, headers, status, seen):
    response = send(support_path(proposal), None, None, headers)

    assert response.status_code == status
    assert seen.by_django == 1
    assert not Support.objects.exists()


def test_unknown_and_other_items_get_djangos_404(resident, proposal, seen):
    token = token_of(resident)
    paths = [
        "/api/v1/contributions/999999/support/",
        "/api/v1/statements/999999/vote/",
        "/api/v1/contributions/" + "9" * 30 + "/support/",
        f"/api/v1/statements/{proposal.pk}/vote/",  # a contribution's id as a statement's
    ]

    responses = send_all([(path, token, {"choice": "agree"}, None) for path in paths])

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert all(r.json()["detail"].startswith("Introuvable") for r in responses)
    assert seen.by_django == len(paths)
    assert not Support.objects.exists()
    assert not StatementVote.objects.exists()


def test_other_methods_and_query_strings_go_to_django(resident, proposal, seen):
    token = token_of(resident)

    async def scenario():
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            auth = {"Authorization": f"Token {token}"}
            try:
                return [
                    await client.post(support_path(proposal) + "?x=1", headers=auth),
                    await client.delete(support_path(proposal), headers=auth),
                    await client.put(support_path(proposal), headers=auth),
                ]
            finally:
                await fast_path.aclose()

    added, removed, put = asyncio.run(scenario())

    assert (added.status_code, removed.status_code, put.status_code) == (201, 204, 405)
    assert put.json()["code"] == "method_not_allowed"
    assert seen.by_django == 3
    assert not Support.objects.exists()


def test_a_session_cookie_goes_to_django_and_its_csrf_check(client, resident, proposal, seen):
    client.force_login(resident)
    name = django_settings.SESSION_COOKIE_NAME
    cookie = f"{name}={client.cookies[name].value}"

    response = send(support_path(proposal), token_of(resident), None, {"Cookie": cookie})

    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert seen.by_django == 1
    assert not Support.objects.exists()


def test_a_revoked_token_or_closed_account_is_refused_at_once(resident, proposal, campaign, seen):
    token = token_of(resident)
    other = factories.ContributionFactory(campaign=campaign)
    assert send(support_path(proposal), token).status_code == 201  # the token is now remembered

    resident.is_active = False
    resident.save()
    closed = send(support_path(other), token)
    resident.is_active = True
    resident.save()
    Token.objects.filter(key=token).delete()
    revoked = send(support_path(other), token)

    assert closed.status_code == revoked.status_code == 401
    assert seen.by_django == 2
    assert not Support.objects.filter(contribution=other).exists()


# --- Rate limit ---------------------------------------------------------------------------------


def test_fast_votes_and_other_requests_share_one_rate_limit(resident, campaign, monkeypatch, seen):
    monkeypatch.setattr(AccountRateThrottle, "THROTTLE_RATES", {"anon": "100/min", "user": "3/min"})
    statements = factories.StatementFactory.create_batch(4, campaign=campaign)
    token = token_of(resident)
    refused = factories.StatementFactory(campaign=campaign, visibility=Visibility.HIDDEN)

    responses = send_all(
        [
            (vote_path(statements[0]), token, {"choice": "agree"}, None),  # fast: 1
            (vote_path(refused), token, {"choice": "agree"}, None),  # fast counts, Django 404: 2
            (vote_path(statements[1]), token, {"choice": "agree"}, None),  # fast: 3
            (vote_path(statements[2]), token, {"choice": "agree"}, None),  # over: Django 429
        ]
    )

    assert [r.status_code for r in responses] == [200, 404, 200, 429]
    assert responses[3].json()["code"] == "throttled"
    assert int(responses[3].headers["Retry-After"]) > 0
    assert seen.by_django == 2
    assert StatementVote.objects.count() == 2
    # Every hit reached the shared counter (send_all's aclose flushes the fast path's batch).
    assert cache.get(AccountRateThrottle.counter_key(token, 60)) == 4


# --- Exactness under concurrency, and what a vote sets off ------------------------------------


def test_fifty_identical_supports_at_once_leave_one_row(resident, proposal):
    token = token_of(resident)

    responses = send_all([(support_path(proposal), token, None, None)] * 50, concurrently=True)

    assert sorted(r.status_code for r in responses) == [200] * 49 + [201]
    assert Support.objects.filter(contribution=proposal).count() == 1
    assert {r.json()["supports_count"] for r in responses} == {1}


def test_a_hot_statement_counts_every_vote_exactly(campaign, statement):
    people = factories.UserFactory.create_batch(40)
    choices = ["agree", "disagree", "pass"]
    requests = [
        (vote_path(statement), token_of(p), {"choice": choices[i % 3]}, None)
        for i, p in enumerate(people)
    ]
    requests += [  # ten change their mind while the others vote
        (vote_path(statement), token_of(p), {"choice": "disagree"}, None) for p in people[:10]
    ]

    responses = send_all(requests, concurrently=True)

    assert {r.status_code for r in responses} == {200}
    stored = {
        c: StatementVote.objects.filter(choice=v).count()
        for c, v in zip(choices, [1, -1, 0], strict=True)
    }
    assert sum(stored.values()) == 40
    shown = factories.StatementFactory._meta.model.objects.with_vote_counts().get(pk=statement.pk)
    assert (shown.agree_count, shown.disagree_count, shown.pass_count) == (
        stored["agree"],
        stored["disagree"],
        stored["pass"],
    )


def test_a_fast_vote_queues_the_opinion_groups_once_per_window(
    campaign, resident, other_resident, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import task_backends

    backend = task_backends["default"]  # made here, so the request threads share it
    statement = factories.StatementFactory(campaign=campaign)
    send_all(
        [
            (vote_path(statement), token_of(resident), {"choice": "agree"}, None),
            (vote_path(statement), token_of(other_resident), {"choice": "agree"}, None),
        ]
    )

    assert cache.get(recomputation_marker(campaign.pk)) == 1
    queued = [r.args for r in backend.results]
    assert queued == [[campaign.pk]]


def test_hits_sent_in_batches_never_let_a_token_past_its_limit():
    """Two processes' counters (two _Hits) on one Redis key: each refuses past the limit on its
    own, and sees the other's hits from its next flush on."""
    import redis.asyncio as redis_client

    from consultation.api.fastvotes import _Hits

    location = django_settings.CACHES["default"]["LOCATION"]
    key = cache.make_key("throttle_user_token-essai:1")

    async def scenario():
        redis = redis_client.Redis.from_url(location)
        here, there = _Hits(), _Hits()
        try:
            first = [here.hit(redis, key, 5, 60) for _ in range(7)]
            await here.flush(redis)
            stored_after_first = int(await redis.get(key))
            there_alone = [there.hit(redis, key, 5, 60) for _ in range(2)]  # has not read Redis
            await there.flush(redis)
            there_after_flush = there.hit(redis, key, 5, 60)
            ttl = await redis.ttl(key)
            return first, stored_after_first, there_alone, there_after_flush, ttl
        finally:
            await redis.delete(key)
            await redis.aclose()

    first, stored, there_alone, there_after_flush, ttl = asyncio.run(scenario())

    assert first == [True] * 5 + [False] * 2
    assert stored == 5
    assert there_alone == [True, True]  # at most one flush interval late: bounded overshoot
    assert there_after_flush is False  # 7 in Redis now: refused
    assert 0 < ttl <= 60


class HeldRedis:
    """A real Redis whose pipelines wait for `gate` before they run: a batch of hits held
    in flight for as long as the test decides (on a loaded machine, a slow round trip)."""

    def __init__(self, redis, gate: asyncio.Event):
        self.redis, self.gate = redis, gate

    def pipeline(self, **options):
        pipe = self.redis.pipeline(**options)
        execute = pipe.execute

        async def held():
            await self.gate.wait()
            return await execute()

        pipe.execute = held
        return pipe


def test_hits_in_flight_to_redis_still_count_and_a_refusal_waits_for_them():
    """The CI failure ([200, 404, 200, 200] for a 3/min limit): a vote arrived while the
    previous batch was on its way to Redis, when neither the batch nor the total read back
    counted, and Django then read a total without the batch."""
    import redis.asyncio as redis_client

    from consultation.api.fastvotes import _Hits

    location = django_settings.CACHES["default"]["LOCATION"]
    key = cache.make_key("throttle_user_token-en-vol:1")

    async def scenario():
        redis, gate = redis_client.Redis.from_url(location), asyncio.Event()
        held, hits = HeldRedis(redis, gate), _Hits()
        try:
            admitted = [hits.hit(held, key, 3, 60) for _ in range(3)]
            batch = asyncio.create_task(hits.flush(held))
            await asyncio.sleep(0)  # the batch leaves, and waits at the gate
            fourth = hits.hit(held, key, 3, 60)
            refusal = asyncio.create_task(hits.flush(held))  # as _count_hit before Django's 429
            await asyncio.sleep(0)
            waited = not refusal.done()
            gate.set()
            await asyncio.gather(batch, refusal)
            return admitted, fourth, waited, int(await redis.get(key))
        finally:
            await redis.delete(key)
            await redis.aclose()

    admitted, fourth, waited, stored = asyncio.run(scenario())

    assert admitted == [True, True, True]
    assert fourth is False  # the three in flight count
    assert waited  # Django reads the total only once the batch is in Redis
    assert stored == 3


def test_when_the_fast_path_cannot_reach_postgresql_django_answers(
    resident, proposal, monkeypatch, seen
):
    import asyncpg

    async def unreachable():
        # Nobody listens on port 1: the connection is refused, as when PostgreSQL is down.
        return await asyncpg.create_pool(host="127.0.0.1", port=1, user="x", database="x")

    monkeypatch.setattr(fast_path.pools, "_open", unreachable)

    response = send(support_path(proposal), token_of(resident))

    assert response.status_code == 201
    assert seen.by_django == 1
    assert Support.objects.filter(contribution=proposal, user=resident).count() == 1


def test_an_unverified_account_is_refused_by_django_in_french(
    unverified_resident, proposal, statement, seen
):
    token = token_of(unverified_resident)
    supported, voted = send_all(
        [
            (support_path(proposal), token, None, None),
            (vote_path(statement), token, {"choice": "agree"}, None),
        ]
    )
    assert supported.status_code == voted.status_code == 403
    assert "Confirmez d'abord votre adresse électronique" in supported.json()["detail"]
    assert "Confirmez d'abord votre adresse électronique" in voted.json()["detail"]
    assert seen.by_django == 2
    assert not Support.objects.exists() and not StatementVote.objects.exists()
