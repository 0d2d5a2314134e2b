"""Many people (or one impatient person) pressing the same button at the same moment, through
real HTTP on a live server where every request thread has its own PostgreSQL connection.
Exactness comes from the database constraints: one support per person and proposal, one vote
per person and statement, and the workshop row lock for the last places."""

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from consultation.models import Registration, StatementVote, Support, User
from tests import factories
from tests.conftest import require_postgresql

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 50


def token_for(user: User) -> str:
    return Token.objects.create(user=user).key


def storm(live_server, requests: list[tuple[str, str, str, dict | None]]) -> list[httpx.Response]:
    """Send every (method, path, token, json) request at once, one thread each, released
    together by a barrier so they really overlap on the server.

    Each client first opens its keep-alive connection with a GET (retried: the test server's
    listen backlog is short), so the storm itself is not limited by connection setup."""
    barrier = threading.Barrier(len(requests))

    def send(request):
        method, path, token, body = request
        with httpx.Client(base_url=live_server.url, timeout=60) as client:
            for attempt in range(5):
                try:
                    client.get("/api/v1/areas/")
                    break
                except httpx.TransportError:
                    if attempt == 4:
                        raise
            barrier.wait()
            return client.request(
                method, path, json=body, headers={"Authorization": f"Token {token}"}
            )

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def assert_no_server_error(responses: list[httpx.Response]) -> None:
    errors = [(r.status_code, r.text[:200]) for r in responses if r.status_code >= 500]
    assert errors == []


def test_fifty_identical_supports_at_once_leave_one_support(live_server, resident, proposal):
    require_postgresql(connection)
    token = token_for(resident)
    path = f"/api/v1/contributions/{proposal.pk}/support/"

    responses = storm(live_server, [("POST", path, token, None)] * CLIENTS)

    assert_no_server_error(responses)
    assert sorted(r.status_code for r in responses) == [200] * (CLIENTS - 1) + [201]
    assert {r.json()["supports_count"] for r in responses} == {1}
    assert Support.objects.filter(contribution=proposal, user=resident).count() == 1
    shown = httpx.get(f"{live_server.url}/api/v1/contributions/{proposal.pk}/").json()
    assert shown["supports_count"] == 1


def test_fifty_votes_at_once_by_one_person_leave_one_vote_and_the_last_one_wins(
    live_server, resident, statement
):
    require_postgresql(connection)
    token = token_for(resident)
    path = f"/api/v1/statements/{statement.pk}/vote/"
    choices = ["agree", "disagree", "pass"]
    requests = [("POST", path, token, {"choice": choices[i % 3]}) for i in range(CLIENTS)]

    responses = storm(live_server, requests)

    assert_no_server_error(responses)
    assert {r.status_code for r in responses} == {200}
    # Whatever the interleaving, nobody ever sees two votes from the same person.
    for r in responses:
        counts = r.json()
        assert counts["agree_count"] + counts["disagree_count"] + counts["pass_count"] == 1
    stored = StatementVote.objects.get(statement=statement, user=resident)
    assert stored.choice in {StatementVote.Choice(c) for c in StatementVote.Choice.values}
    assert StatementVote.objects.filter(statement=statement).count() == 1

    # A later vote replaces the stored one.
    later = "disagree" if stored.choice != StatementVote.Choice.DISAGREE else "agree"
    (final,) = storm(live_server, [("POST", path, token, {"choice": later})])
    assert final.json()[f"{later}_count"] == 1
    assert StatementVote.objects.filter(statement=statement).count() == 1
    shown = httpx.get(f"{live_server.url}/api/v1/statements/{statement.pk}/").json()
    assert shown[f"{later}_count"] == 1
    assert shown["agree_count"] + shown["disagree_count"] + shown["pass_count"] == 1


def test_fifty_people_for_ten_places_make_ten_confirmed_and_forty_waiting(
    live_server, campaign, commune
):
    require_postgresql(connection)
    workshop = factories.WorkshopFactory(campaign=campaign, commune=commune, capacity=10)
    people = User.objects.bulk_create(
        User(email=f"inscrit{i}@exemple.fr", display_name=f"Inscrit·e {i}") for i in range(CLIENTS)
    )
    path = f"/api/v1/workshops/{workshop.pk}/registration/"

    responses = storm(live_server, [("POST", path, token_for(p), None) for p in people])

    assert_no_server_error(responses)
    assert {r.status_code for r in responses} == {201}
    statuses = sorted(r.json()["status"] for r in responses)
    assert statuses == ["confirmed"] * 10 + ["waiting"] * 40
    stored = Registration.objects.filter(workshop=workshop)
    assert stored.filter(status=Registration.Status.CONFIRMED).count() == 10
    assert stored.filter(status=Registration.Status.WAITING).count() == 40
    assert stored.count() == CLIENTS
