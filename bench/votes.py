"""Votes under load: supports and statement votes through the HTTP API, against the
production setup, compared with pgbench running the bare SQL of a vote on the same server.

    .venv/bin/python -m bench.votes            # 30,000 attempts per run (about 20 minutes)
    .venv/bin/python -m bench.votes --quick    # 3,000 attempts per run

Exits non-zero when a stored row count differs from the unique (person, item) pairs, when a
count shown by the API differs from COUNT(*), or when a request failed with a 5xx.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvloop

from bench._harness import (
    app_server,
    percentile,
    postmaster_pid,
    production_stack,
    tree_cpu_seconds,
)
from bench._http_load import Connection, HttpError, post_request

CHOICES = ["agree", "disagree", "pass"]
DUPLICATE_SHARE = 0.10


@dataclass
class Attempt:
    kind: str  # "support" or "vote"
    person: int  # index into the token list
    item: int  # contribution or statement id
    choice: str = ""


@dataclass
class RunResult:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    transport_errors: int = 0
    transport_error_kinds: Counter = field(default_factory=Counter)
    sent: list[Attempt] = field(default_factory=list)
    seconds: float = 0.0
    client_cpu: float = 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


def plan(rng: random.Random, people: int, proposals: list[int], statements: list[int],
         attempts: int) -> list[Attempt]:  # fmt: skip
    """Half supports, half votes; 90 % unique (person, item) pairs, 10 % repeats of them."""
    result = []
    for kind, items in (("support", proposals), ("vote", statements)):
        count = attempts // 2
        unique_count = round(count * (1 - DUPLICATE_SHARE))
        if unique_count > people * len(items):
            raise SystemExit(f"pas assez de comptes pour {unique_count} paires uniques")
        pairs: set[tuple[int, int]] = set()
        while len(pairs) < unique_count:
            pairs.add((rng.randrange(people), rng.choice(items)))
        unique = list(pairs)
        for person, item in unique + rng.choices(unique, k=count - unique_count):
            result.append(Attempt(kind, person, item, rng.choice(CHOICES)))
    rng.shuffle(result)
    return result


def _request(host: str, attempt: Attempt, token: str) -> bytes:
    if attempt.kind == "support":
        return post_request(host, f"/api/v1/contributions/{attempt.item}/support/", token)
    body = b'{"choice":"%s"}' % attempt.choice.encode()
    return post_request(host, f"/api/v1/statements/{attempt.item}/vote/", token, body)


async def _load(base_url: str, clients: int, attempts: list[Attempt], tokens: list[str],
                max_seconds: float = 600):  # fmt: skip
    """`clients` keep-alive connections send the attempts in order until none is left or the
    time is up; the result keeps the attempts actually sent, which the exactness check uses."""
    result = RunResult()
    queue = iter(attempts)
    deadline = time.perf_counter() + max_seconds

    async def worker():
        connection = Connection(base_url)
        for attempt in queue:
            if time.perf_counter() > deadline:
                break
            result.sent.append(attempt)
            request = _request(connection.host, attempt, tokens[attempt.person])
            started = time.perf_counter()
            try:
                status, _body = await connection.send(request)
            except HttpError as error:
                result.transport_errors += 1
                result.transport_error_kinds[str(error)] += 1
                continue
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] += 1
        connection.close()

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    result.seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    result.client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (
        cpu_after.ru_stime - cpu_before.ru_stime
    )
    return result


async def _shown_counts(base_url: str, token: str, supports: set[int], statements: set[int]):
    """What the API displays for every item touched, fetched with 16 connections."""
    shown_supports, shown_votes = {}, {}
    headers = {"Authorization": f"Token {token}"}
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        semaphore = asyncio.Semaphore(16)

        async def fetch(path: str):
            async with semaphore:
                response = await client.get(path, headers=headers)
                response.raise_for_status()
                return response.json()

        async def support(pk):
            shown_supports[pk] = (await fetch(f"/api/v1/contributions/{pk}/"))["supports_count"]

        async def vote(pk):
            body = await fetch(f"/api/v1/statements/{pk}/")
            shown_votes[pk] = (body["agree_count"], body["disagree_count"], body["pass_count"])

        await asyncio.gather(*map(support, supports), *map(vote, statements))
    return shown_supports, shown_votes


def stored_counts():
    from django.db.models import Count, Q

    from consultation.models import StatementVote, Support

    supports = dict(Support.objects.values_list("contribution").annotate(n=Count("*")).order_by())
    choice = StatementVote.Choice
    votes = {
        row["statement"]: (row["agree"], row["disagree"], row["pass"])
        for row in StatementVote.objects.values("statement")
        .annotate(
            agree=Count("id", filter=Q(choice=choice.AGREE)),
            disagree=Count("id", filter=Q(choice=choice.DISAGREE)),
            **{"pass": Count("id", filter=Q(choice=choice.PASS))},
        )
        .order_by()
    }
    return supports, votes


def check(base_url: str, token: str, result: RunResult) -> list[str]:
    """Every problem found, in French; an empty list means exact."""
    from consultation.models import StatementVote, Support

    attempts = result.sent
    problems = []
    if result.server_errors or result.transport_errors:
        problems.append(
            f"{result.server_errors} réponses 5xx et {result.transport_errors} erreurs réseau "
            f"{dict(result.transport_error_kinds)}"
        )
    unexpected = {s: n for s, n in result.statuses.items() if s not in (200, 201)}
    if unexpected:
        problems.append(f"statuts inattendus : {unexpected}")
    support_pairs = {(a.person, a.item) for a in attempts if a.kind == "support"}
    vote_pairs = {(a.person, a.item) for a in attempts if a.kind == "vote"}
    if Support.objects.count() != len(support_pairs):
        problems.append(f"{Support.objects.count()} soutiens en base pour {len(support_pairs)}")
    if StatementVote.objects.count() != len(vote_pairs):
        problems.append(f"{StatementVote.objects.count()} votes en base pour {len(vote_pairs)}")
    supports, votes = stored_counts()
    shown_supports, shown_votes = asyncio.run(
        _shown_counts(base_url, token, {i for _, i in support_pairs}, {i for _, i in vote_pairs})
    )
    wrong = [pk for pk, n in shown_supports.items() if supports.get(pk, 0) != n]
    wrong += [pk for pk, n in shown_votes.items() if votes.get(pk, (0, 0, 0)) != n]
    if wrong:
        problems.append(f"{len(wrong)} compteurs affichés différents de COUNT(*) : {wrong[:5]}")
    return problems


def reset_votes() -> None:
    from django.db import connection

    from consultation.models import StatementVote, Support, SupportTally, VoteTally

    with connection.cursor() as cursor:  # TRUNCATE fires no row trigger: the tallies too
        models = (Support, StatementVote, SupportTally, VoteTally)
        tables = [model._meta.db_table for model in models]
        cursor.execute(f"TRUNCATE {', '.join(tables)}")
        # Every measure starts with the dirty pages written: a checkpoint falling in one
        # measure and not another would weigh on it alone.
        cursor.execute("CHECKPOINT")


def vacuum_analyze() -> None:
    """After the bulk seeding, as `pgbench -i` does: otherwise autovacuum takes the freshly
    filled tables a minute later, in the middle of whichever measure runs then (seen: that
    measure's PostgreSQL CPU per vote doubled)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def seed(people: int, items: int) -> tuple[list[str], list[int], list[int]]:
    """A campaign open to supports and votes, `items` proposals and statements, `people`
    accounts with API tokens. Bulk inserts: the benchmark measures votes, not seeding."""
    from rest_framework.authtoken.models import Token

    from consultation.models import Contribution, Statement, User
    from tests import factories

    campaign = factories.CampaignFactory(title="Concertation résilience (banc d'essai)")
    factories.PhaseFactory(campaign=campaign)
    proposals = Contribution.objects.bulk_create(
        Contribution(
            campaign=campaign, kind=Contribution.Kind.PROPOSAL, author_label="Banc d'essai",
            title=f"Proposition n°{n} pour le bassin de la Canche",
            body="Restaurer les zones d'expansion des crues en amont des villages.",
        )
        for n in range(items)
    )  # fmt: skip
    statements = Statement.objects.bulk_create(
        Statement(campaign=campaign, text=f"Il faut entretenir les fossés chaque année ({n}).")
        for n in range(items)
    )
    from django.utils import timezone

    verified = timezone.now()
    users = User.objects.bulk_create(
        User(
            email=f"banc{n}@exemple.fr",
            display_name=f"Habitant·e {n}",
            password="!",
            email_verified_at=verified,  # only verified addresses may vote
        )
        for n in range(people)
    )
    tokens = Token.objects.bulk_create(Token(key=Token.generate_key(), user=u) for u in users)
    return [t.key for t in tokens], [p.pk for p in proposals], [s.pk for s in statements]


PGBENCH_SCRIPT = """\
\\set item random(:item_min, :item_max)
\\set person random(:person_min, :person_max)
INSERT INTO {table} (contribution_id, user_id, created_at) VALUES (:item, :person, now())
ON CONFLICT (contribution_id, user_id) DO NOTHING;
"""


def pgbench(postgres, clients: int, seconds: int, proposals: list[int]) -> tuple[float, float]:
    """Bare-SQL votes/s and p99 latency (ms) at `clients` connections, then empty the table."""
    from consultation.models import Support, User

    ids = User.objects.order_by("pk").values_list("pk", flat=True)
    work = Path(tempfile.mkdtemp(prefix="bench-pgbench-", dir=postgres.base_dir))
    script = work / "vote.sql"
    script.write_text(PGBENCH_SCRIPT.format(table=Support._meta.db_table))
    work.chmod(0o777)
    script.chmod(0o644)
    variables = {
        "item_min": min(proposals), "item_max": max(proposals),
        "person_min": ids.first(), "person_max": ids.last(),
    }  # fmt: skip
    args = ["-n", "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres",
            "-c", str(clients), "-j", "2", "-T", str(seconds), "-f", str(script),
            "--log", f"--log-prefix={work}/log"]  # fmt: skip
    for name, value in variables.items():
        args += ["-D", f"{name}={value}"]
    import subprocess

    output = subprocess.run(
        postgres._command("pgbench", *args, postgres.database),
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    tps = float(re.search(r"tps = ([\d.]+)", output).group(1))
    latencies = [
        int(line.split()[2]) / 1000
        for log in work.glob("log*")
        for line in log.read_text().splitlines()
    ]
    reset_votes()
    return tps, percentile(latencies, 0.99)


def describe(label: str, result: RunResult) -> float:
    rate = len(result.sent) / result.seconds
    latencies_ms = [x * 1000 for x in result.latencies]
    cpu = result.client_cpu / result.seconds * 100
    print(
        f"   {label:<22} {rate:7.0f} votes/s   p50 {percentile(latencies_ms, 0.5):6.1f} ms   "
        f"p99 {percentile(latencies_ms, 0.99):6.1f} ms   5xx {result.server_errors}   "
        f"({len(result.sent)} envoyées ; client : {cpu:.0f} % d'un cœur)",
        flush=True,
    )
    return rate


def run_scenario(server: str, base_url: str, clients: int, attempts: list[Attempt],
                 tokens: list[str], label: str, max_seconds: float,
                 pids: dict[str, int]):  # fmt: skip
    reset_votes()
    before = {name: tree_cpu_seconds(pid) for name, pid in pids.items()}
    result = uvloop.run(_load(base_url, clients, attempts, tokens, max_seconds))
    after = {name: tree_cpu_seconds(pid) for name, pid in pids.items()}
    rate = describe(f"{server} {label} c={clients}", result)
    per_vote = {name: (after[name] - before[name]) * 1000 / len(result.sent) for name in pids}
    per_vote["client"] = result.client_cpu * 1000 / len(result.sent)
    total = sum(per_vote.values())
    print(
        "      CPU par vote : " + ", ".join(f"{k} {v:.1f} ms" for k, v in per_vote.items())
        + f" ; total {total:.1f} ms, soit ≈ {2000 / total:.0f} votes/s sur 2 cœurs libres",
        flush=True,
    )  # fmt: skip
    problems = check(base_url, tokens[0], result)
    for problem in problems:
        print(f"      ÉCART : {problem}", flush=True)
    return rate, result, problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 fois moins de tentatives")
    parser.add_argument(
        "--servers", default="uvicorn,uvicorn-2-workers,daphne,gunicorn-2-workers",
        help="serveurs HTTP à comparer (le premier, celui des votes en production, fait aussi "
        "le scénario « élément chaud »)",
    )  # fmt: skip
    parser.add_argument("--clients", default="32,64")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--repeat", type=int, default=1,
        help="répétitions de chaque mesure (pgbench compris) ; la synthèse donne les médianes",
    )  # fmt: skip
    parser.add_argument(
        "--max-seconds", type=float, default=180,
        help="durée maximale d'une mesure ; les tentatives non envoyées sont écartées",
    )  # fmt: skip
    options = parser.parse_args(argv)
    if options.repeat < 1:
        parser.error("--repeat : au moins 1")
    attempts_count = 3_000 if options.quick else 30_000
    items = 2_000
    people = round(attempts_count / 2 * (1 - DUPLICATE_SHARE)) + 500
    client_counts = [int(c) for c in options.clients.split(",")]
    servers = options.servers.split(",")
    rng = random.Random(options.seed)
    problems: list[str] = []

    with production_stack() as (postgres, redis, env):
        started = time.perf_counter()
        tokens, proposals, statements = seed(people, items)
        vacuum_analyze()
        print(
            f"Données : {items} propositions, {items} affirmations, {people} comptes à jeton "
            f"({time.perf_counter() - started:.0f} s). {attempts_count} tentatives par mesure, "
            f"{DUPLICATE_SHARE:.0%} de doublons, PostgreSQL durable (fsync activé), Redis.",
            flush=True,
        )
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"Machine : {os.cpu_count()} cœurs, charge moyenne {load} (1, 5, 15 min).")
        spread = plan(rng, people, proposals, statements, attempts_count)
        hot = plan(rng, people, proposals[:1], statements[:1], attempts_count)

        reference: dict[int, list[float]] = {c: [] for c in client_counts}
        rates: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
        for repetition in range(1, options.repeat + 1):
            if options.repeat > 1:
                print(f"\n=== Répétition {repetition}/{options.repeat} ===", flush=True)
            print("\nRéférence pgbench (INSERT ... ON CONFLICT DO NOTHING, sans HTTP ni Django) :")
            for clients in client_counts:
                tps, p99 = pgbench(postgres, clients, 5 if options.quick else 10, proposals)
                reference[clients].append(tps)
                print(
                    f"   pgbench c={clients:<3}            {tps:7.0f} votes/s   p99 {p99:6.1f} ms"
                )

            for server in servers:
                print(f"\nServeur HTTP : {server}", flush=True)
                with app_server(server, env) as (base_url, server_pid):
                    pids = {
                        server: server_pid,
                        "PostgreSQL": postmaster_pid(postgres),
                        "Redis": redis.process.pid,
                    }
                    uvloop.run(_load(base_url, 8, spread[:200], tokens, 30))  # warm-up
                    scenarios = [("réparti", spread)]
                    if server == servers[0]:
                        scenarios.append(("élément chaud", hot))
                    for label, attempts in scenarios:
                        for clients in client_counts:
                            rate, result, found = run_scenario(
                                server, base_url, clients, attempts, tokens, label,
                                options.max_seconds, pids,
                            )  # fmt: skip
                            p99 = percentile([x * 1000 for x in result.latencies], 0.99)
                            rates.setdefault((server, label, clients), []).append((rate, p99))
                            problems += found

        summarise(servers, client_counts, reference, rates)

    if problems:
        print(f"\n{len(problems)} écart(s) d'exactitude : voir plus haut.")
        return 1
    print("\nExactitude : lignes en base = paires uniques, compteurs affichés = COUNT(*), 0 5xx.")
    return 0


def summarise(servers, client_counts, reference, rates) -> None:
    """Medians over the repetitions, each with its repetitions' values when there are several."""

    def median_of(values: list[float]) -> float:
        return statistics.median(values)

    def each(values: list[float], unit: str = "") -> str:
        if len(values) < 2:
            return ""
        return " (" + " / ".join(f"{v:.0f}{unit}" for v in values) + ")"

    print("\nSynthèse (médianes) :")
    main_server = servers[0]
    for clients in client_counts:
        measures = rates[(main_server, "réparti", clients)]
        rate = median_of([r for r, _ in measures])
        p99s = [p for _, p in measures]
        ratios = [r / t for (r, _), t in zip(measures, reference[clients], strict=True)]
        print(
            f"   c={clients}: {main_server} {rate:.0f} votes/s = {median_of(ratios):.0%} de "
            f"pgbench{each([x * 100 for x in ratios], ' %')} (objectif ≥ 30 %), "
            f"p99 {median_of(p99s):.0f} ms{each(p99s, ' ms')} (objectif < 100 ms à 32 clients)"
        )
        hot = rates[(main_server, "élément chaud", clients)]
        hot_ratios = [h / r for (h, _), (r, _) in zip(hot, measures, strict=True)]
        print(
            f"   c={clients}: élément chaud {median_of([h for h, _ in hot]):.0f} votes/s = "
            f"{median_of(hot_ratios):.0%} du réparti{each([x * 100 for x in hot_ratios], ' %')} "
            f"(objectif ≥ 70 %)"
        )
    for server in servers[1:]:
        for clients in client_counts:
            rate = median_of([r for r, _ in rates[(server, "réparti", clients)]])
            base = median_of([r for r, _ in rates[(main_server, "réparti", clients)]])
            print(
                f"   c={clients}: {server} {rate:.0f} votes/s = {rate / base:.0%} de {main_server}"
            )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
