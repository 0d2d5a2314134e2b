"""Server time and query count of the campaign page and of the contributions API, at 1,000
and then 10,000 contributions (with supports and comments), in production settings on
PostgreSQL and Redis.

    .venv/bin/python -m bench.pages            # 50 requests per measure
    .venv/bin/python -m bench.pages --quick    # 10 requests per measure

Requests go through Django's test client in this process: the time is the server's (middleware,
view, queries, template), without network or HTTP server. Exits non-zero when a page answers
other than 200 or when a query count grows with the number of contributions (an N+1).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

from bench._harness import percentile, production_stack

SIZES = (1_000, 10_000)
PEOPLE = 2_000


def seed_campaign():
    from tests import factories

    campaign = factories.CampaignFactory(title="Concertation résilience (banc d'essai)")
    factories.PhaseFactory(campaign=campaign)
    area = factories.AreaFactory()
    communes = [
        factories.CommuneFactory(area=area, name=name, insee_code=code)
        for name, code in [("Montreuil-sur-Mer", "62588"), ("Béthune", "62119"),
                           ("Saint-Omer", "62765"), ("Arras", "62041")]
    ]  # fmt: skip
    themes = [
        factories.ThemeFactory(campaign=campaign, name=name, slug=slug)
        for name, slug in [("Gestion de l'eau", "eau"), ("Urbanisme", "urbanisme"),
                           ("Agriculture", "agriculture"), ("Alerte et secours", "alerte")]
    ]  # fmt: skip
    return campaign, communes, themes


def seed_people():
    from django.utils import timezone

    from consultation.models import User

    verified = timezone.now()
    return User.objects.bulk_create(
        User(
            email=f"page{n}@exemple.fr",
            display_name=f"Habitant·e {n}",
            password="!",
            email_verified_at=verified,  # only verified addresses may publish and vote
        )
        for n in range(PEOPLE)
    )


def add_contributions(rng, campaign, communes, themes, people, count: int) -> None:
    """`count` more proposals, each with 0 to 12 supports and, for a third, 1 to 3 comments."""
    from consultation.models import Comment, Contribution, Support

    kinds = [Contribution.Kind.PROPOSAL] * 3 + [Contribution.Kind.QUESTION]
    contributions = Contribution.objects.bulk_create(
        Contribution(
            campaign=campaign, kind=rng.choice(kinds), author=rng.choice(people),
            theme=rng.choice(themes), commune=rng.choice(communes),
            title=f"Créer une zone d'expansion des crues n°{rng.randrange(10**6)}",
            body="Rendre aux prairies humides leur rôle d'éponge en amont des villages. " * 3,
        )
        for _ in range(count)
    )  # fmt: skip
    Support.objects.bulk_create(
        (
            Support(contribution=c, user=person)
            for c in contributions
            for person in rng.sample(people, rng.randrange(13))
        ),
        ignore_conflicts=True,
        batch_size=5_000,
    )
    Comment.objects.bulk_create(
        (
            Comment(contribution=c, author=rng.choice(people), body="D'accord, en novembre...")
            for c in contributions
            if rng.random() < 1 / 3
            for _ in range(rng.randint(1, 3))
        ),
        batch_size=5_000,
    )


def measure(client, url: str, requests: int) -> tuple[float, float, float, int, int]:
    """p50 and p95 in ms over `requests` GETs, the mean CPU time of this process per request
    (Django's share, independent of the machine's load), the query count of one, its status."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm-up: templates compiled, connections open
    times = []
    cpu_started = time.process_time()
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    cpu = (time.process_time() - cpu_started) * 1000 / requests
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
    return p50, p95, cpu, len(queries), response.status_code


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 requêtes par mesure")
    options = parser.parse_args(argv)
    requests = 10 if options.quick else 50
    rng = random.Random(2024)

    with production_stack(durable=False) as _stack:
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        call_command("collectstatic", interactive=False, verbosity=0)
        campaign, communes, themes = seed_campaign()
        people = seed_people()
        visitor, resident = Client(), Client()
        resident.force_login(people[0])
        urls = {
            "page de la campagne": reverse("frontend:campaign", kwargs={"slug": campaign.slug}),
            "API contributions": f"/api/v1/contributions/?campaign={campaign.slug}",
        }
        who = {"anonyme": visitor, "connecté·e": resident}
        counts: dict[tuple[str, str], list[int]] = {}
        failures = []
        seeded = 0
        print(f"{'mesure':<42} {'p50':>8} {'p95':>8} {'CPU Django':>11} {'requêtes SQL':>13}")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"(machine : {os.cpu_count()} cœurs, charge moyenne {load})")
        for size in SIZES:
            started = time.perf_counter()
            add_contributions(rng, campaign, communes, themes, people, size - seeded)
            # Fresh planner statistics, as autovacuum gives a real database after bulk writes.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            seeded = size
            print(f"-- {size} contributions (créées en {time.perf_counter() - started:.0f} s)")
            for url_label, url in urls.items():
                for who_label, client in who.items():
                    p50, p95, cpu, queries, status = measure(client, url, requests)
                    label = f"{url_label}, {who_label}"
                    print(
                        f"   {label:<39} {p50:6.1f}ms {p95:6.1f}ms {cpu:9.1f}ms {queries:13d}",
                        flush=True,
                    )
                    counts.setdefault((url_label, who_label), []).append(queries)
                    if status != 200:
                        failures.append(f"{label} : statut {status} à {size} contributions")

    print()
    for (url_label, who_label), per_size in counts.items():
        same = len(set(per_size)) == 1
        verdict = "identique" if same else "DIFFÉRENT (N+1 ?)"
        print(f"{url_label}, {who_label} : requêtes SQL {per_size} à {SIZES} → {verdict}")
        if not same:
            failures.append(f"{url_label}, {who_label} : le nombre de requêtes varie")
    for failure in failures:
        print(f"ÉCHEC : {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
