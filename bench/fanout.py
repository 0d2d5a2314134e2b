"""Fan-out of a live board: N websocket clients on one board, one participant adding a card every
2 s, on Daphne + Channels (production settings: PostgreSQL, Redis) and, in the same run, on a
minimal `websockets` broadcast server as the reference.

    .venv/bin/python -m bench.fanout                  # 100, 500, 1,000, 2,000 clients, 3 repeats
    .venv/bin/python -m bench.fanout --quick          # fewer events, 1 repeat
    .venv/bin/python -m bench.fanout --clients 1000 --repeat 1 --no-saturation

Prints, per server and client count: p50/p99 delivery latency (command sent -> `card.added`
received by each client), completion of each broadcast (first to last receipt), lost and
duplicated messages, memory per connection (server RSS delta / N) and the server's idle CPU;
then a saturation run at 1,000 clients, two Daphne processes on Redis, a join storm, and the
ratios to the reference. Exits 1 on a lost or duplicated message or a failed join, never on
a time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import psutil
from websockets.asyncio.client import connect

from bench._harness import ROOT, app_server, percentile, production_stack, tree_cpu_seconds
from tests.services import _wait_for_port, free_port

SENDERS = 8  # the consumer refuses more than 20 messages/s per socket: spread the load
CONNECT_RATE = 200.0  # sockets opened per second before a measure (not the join storm)
QUIET_CPU = 0.10  # the joins are over when the server uses less than this share of a core
CARD_TEXT = "Carte n°{n} : rouvrir le lavoir et replanter les haies le long du chemin communal."


@dataclass
class Target:
    """Where the clients go: websocket URLs (one per server process) and the pids to watch."""

    label: str
    urls: list[str]
    pids: list[int]

    @property
    def origin(self) -> str:
        return "http://" + self.urls[0].split("/")[2]


@dataclass
class Measure:
    latencies: list[float] = field(default_factory=list)
    completions: list[float] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)
    sent: int = 0
    expected: int = 0
    lost: int = 0
    duplicates: int = 0
    errors: int = 0
    closed: dict = field(default_factory=dict)
    size: int = 0

    def p(self, fraction: float, values: str = "latencies") -> float:
        return percentile(getattr(self, values), fraction) * 1000


@dataclass
class Seeded:
    session_id: int
    board_id: int
    column_id: int
    tokens: list[str]

    @property
    def path(self) -> str:
        return f"/ws/sessions/{self.session_id}/boards/{self.board_id}/"


def seed(guests: int) -> Seeded:
    """A facilitator opens a session; `guests` guests join it with the join code."""
    from django.contrib.auth.models import AnonymousUser

    from consultation.actions.boards import join_session, open_session
    from consultation.models import CampaignRole
    from tests import factories

    campaign = factories.CampaignFactory(title="Concertation résilience (banc fan-out)")
    factories.PhaseFactory(campaign=campaign)
    workshop = factories.WorkshopFactory(campaign=campaign, capacity=guests + 10)
    facilitator = factories.UserFactory(email="animation@prefecture.gouv.fr")
    CampaignRole.objects.create(
        campaign=campaign, user=facilitator, role=CampaignRole.Role.FACILITATOR
    )
    session = open_session(facilitator, workshop, title="Atelier de Montreuil (banc)")
    board = session.boards.get()
    tokens = [
        join_session(AnonymousUser(), session.join_code, nickname=f"Invité·e {n}")[1]
        for n in range(guests)
    ]
    return Seeded(session.pk, board.pk, board.columns.first().pk, tokens)


def reset_board(board_id: int) -> None:
    """Every measure starts on an empty board: otherwise the cards of the previous measures
    (a thousand after a saturation run) would swell each joining socket's snapshot."""
    from consultation.models import Card

    Card.objects.filter(board_id=board_id).delete()


# --- Servers ----------------------------------------------------------------------------------


@contextlib.contextmanager
def plain_server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench._fanout_plain", str(port)], cwd=ROOT, start_new_session=True
    )
    try:
        _wait_for_port(port, process, "serveur websockets de référence")
        yield Target("websockets (réf.)", [f"ws://127.0.0.1:{port}/"], [process.pid])
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def daphne_servers(env: dict[str, str], seeded: Seeded, count: int):
    with contextlib.ExitStack() as stack:
        started = [stack.enter_context(app_server("daphne", env)) for _ in range(count)]
        urls = [base.replace("http", "ws", 1) + seeded.path for base, _ in started]
        label = "Daphne" if count == 1 else f"Daphne × {count} (Redis)"
        yield Target(label, urls, [pid for _, pid in started])


def server_rss(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        process = psutil.Process(pid)
        total += sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])
    return total


def server_cpu(pids: list[int]) -> float:
    return sum(tree_cpu_seconds(pid) for pid in pids)


# --- Clients ----------------------------------------------------------------------------------


class Workers:
    """The client processes (`bench._fanout_client`), each holding its share of the sockets."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.processes: list[asyncio.subprocess.Process] = []

    async def start(self) -> None:
        for _ in range(self.count):
            self.processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bench._fanout_client",
                    cwd=ROOT,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    limit=2**26,
                )  # fmt: skip
            )

    async def ask(self, process, order: dict) -> dict:
        process.stdin.write((json.dumps(order) + "\n").encode())
        await process.stdin.drain()
        return json.loads(await process.stdout.readline())

    async def ask_all(self, orders: list[dict]) -> list[dict]:
        pairs = zip(self.processes, orders, strict=True)
        return await asyncio.gather(*(self.ask(process, order) for process, order in pairs))

    async def connect(self, target: Target, tokens: list[str], rate: float) -> dict:
        """Sockets spread over the server processes, then over the client processes."""
        pairs = [[target.urls[i % len(target.urls)], token] for i, token in enumerate(tokens)]
        orders = [
            {"cmd": "connect", "targets": pairs[w :: self.count], "rate": rate / self.count,
             "origin": target.origin}
            for w in range(self.count)
        ]  # fmt: skip
        answers = await self.ask_all(orders)
        failed: dict[str, int] = defaultdict(int)
        for answer in answers:
            for reason, n in answer["failed"].items():
                failed[reason] += n
        return {
            "ready": sum(a["ready"] for a in answers),
            "failed": dict(failed),
            "seconds": [s for a in answers for s in a["seconds"]],
        }

    async def collect(self) -> dict:
        answers = await self.ask_all([{"cmd": "collect"}] * self.count)
        receipts: dict[str, list[float]] = defaultdict(list)
        closed: dict[str, int] = defaultdict(int)
        sizes: dict[str, int] = defaultdict(int)
        for answer in answers:
            for key, times in answer["receipts"].items():
                receipts[key] += times
            for code, n in answer["closed"].items():
                closed[code] += n
            for size, n in answer["sizes"].items():
                sizes[size] += n
        duplicates = sum(a["duplicates"] for a in answers)
        return {"receipts": receipts, "duplicates": duplicates, "closed": closed, "sizes": sizes}

    async def stop(self) -> None:
        for process in self.processes:
            with contextlib.suppress(Exception):
                process.stdin.write(b'{"cmd": "close"}\n')
                await process.stdin.drain()
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


class Senders:
    """Participants adding cards; each card's key is its command id, its send time kept."""

    def __init__(self, target: Target, tokens: list[str], column: int) -> None:
        self.target, self.tokens, self.column = target, tokens, column
        self.sockets: list = []
        self.sent: dict[str, float] = {}
        self.acked: dict[str, float] = {}
        self.errors: list[dict] = []
        self.readers: list[asyncio.Task] = []
        self.count = 0

    async def open(self) -> None:
        for token in self.tokens:
            socket = await connect(
                self.target.urls[0], origin=self.target.origin, compression=None,
                ping_interval=None,
            )  # fmt: skip
            await socket.send(json.dumps({"type": "hello", "protocol": 1, "token": token}))
            while json.loads(await socket.recv())["type"] not in ("snapshot", "ready"):
                pass
            self.sockets.append(socket)
            self.readers.append(asyncio.create_task(self.read(socket)))

    async def read(self, socket) -> None:
        with contextlib.suppress(Exception):
            async for raw in socket:
                message = json.loads(raw)
                if message["type"] == "ack":
                    self.acked[message["id"]] = time.time()
                elif message["type"] == "error":
                    self.errors.append(message)

    async def send(self) -> str:
        key = str(uuid.uuid4())
        self.count += 1
        text = CARD_TEXT.format(n=self.count)
        command = {"type": "card.add", "id": key, "column": self.column, "text": text}
        self.sent[key] = time.time()
        await self.sockets[self.count % len(self.sockets)].send(json.dumps(command))
        return key

    async def fire(self, rate: float, count: int) -> list[str]:
        """`count` cards at `rate` per second, on schedule whatever the server does."""
        started, keys = time.perf_counter(), []
        for n in range(count):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            keys.append(await self.send())
        return keys

    async def close(self) -> None:
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*(s.close() for s in self.sockets), return_exceptions=True)


# --- Measures ---------------------------------------------------------------------------------


async def deliveries(workers: Workers, senders: Senders, keys: list[str], receivers: int,
                     drain_seconds: float) -> Measure:  # fmt: skip
    """Wait until every receiver has every card (or the drain time is over), then compute."""
    receipts: dict[str, list[float]] = defaultdict(list)
    result = Measure(sent=len(keys), expected=len(keys) * receivers)
    sizes: dict[str, int] = defaultdict(int)
    deadline = time.monotonic() + drain_seconds
    while True:
        got = await workers.collect()
        for key, times in got["receipts"].items():
            receipts[key] += times
        for size, n in got["sizes"].items():
            sizes[size] += n
        result.duplicates += got["duplicates"]
        result.closed = got["closed"]
        received = sum(len(receipts[k]) for k in keys)
        refused = {error.get("id") for error in senders.errors}
        acked = all(k in senders.acked or k in refused for k in keys)
        if (received >= result.expected and acked) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    for key in keys:
        times = receipts.get(key, [])
        result.latencies += [t - senders.sent[key] for t in times]
        if times:
            result.completions.append(max(times) - min(times))
        if key in senders.acked:
            result.acks.append(senders.acked[key] - senders.sent[key])
    result.lost = result.expected - sum(len(receipts[k]) for k in keys)
    result.errors = len(senders.errors)
    result.size = max(sizes, key=sizes.get, default=0)
    return result


def describe(label: str, result: Measure) -> None:
    closed = f"   fermées {result.closed}" if result.closed else ""
    errors = f"   refus {result.errors}" if result.errors else ""
    print(
        f"   {label:<34} p50 {result.p(0.5):7.1f} ms   p99 {result.p(0.99):7.1f} ms   "
        f"diffusion méd. {result.p(0.5, 'completions'):6.1f} / max "
        f"{max(result.completions, default=0) * 1000:6.1f} ms   acquitté p99 "
        f"{result.p(0.99, 'acks'):6.1f} ms   perdus {result.lost}   doublons "
        f"{result.duplicates}   ({result.sent} cartes, {result.size} o){closed}{errors}",
        flush=True,
    )


@dataclass
class Config:
    steady_events: int
    interval: float
    idle_seconds: float
    saturation_rates: list[float]
    saturation_seconds: float
    workers: int


async def run_target(target: Target, seeded: Seeded, clients: int, config: Config,
                     saturate: bool) -> dict:  # fmt: skip
    """One server (or pair) and `clients` sockets: memory, idle CPU, steady run, saturation."""
    await asyncio.to_thread(reset_board, seeded.board_id)
    senders = Senders(target, seeded.tokens[:SENDERS], seeded.column_id)
    await senders.open()
    await senders.fire(10, 3)  # warm-up: every code path loaded before the memory baseline
    await asyncio.sleep(1)
    rss_before = server_rss(target.pids)
    workers = Workers(config.workers)
    await workers.start()
    try:
        joined = await workers.connect(target, seeded.tokens[SENDERS : SENDERS + clients],
                                       CONNECT_RATE)  # fmt: skip
        if joined["ready"] != clients:
            print(f"   {target.label} : {joined['ready']}/{clients} prêts, échecs "
                  f"{joined['failed']}", flush=True)  # fmt: skip
        await quiet(target)
        per_socket = (server_rss(target.pids) - rss_before) / clients / 1024
        cpu_before = server_cpu(target.pids)
        await asyncio.sleep(config.idle_seconds)
        idle = (server_cpu(target.pids) - cpu_before) / config.idle_seconds * 100
        await workers.collect()  # forget the warm-up
        keys = await senders.fire(1 / config.interval, config.steady_events)
        steady = await deliveries(workers, senders, keys, joined["ready"], 30)
        describe(f"{target.label}, {clients} clients", steady)
        print(f"   {'':<34} mémoire {per_socket:5.1f} Kio par connexion   CPU au repos "
              f"{idle:4.1f} % d'un cœur", flush=True)  # fmt: skip
        figures = {"steady": steady, "memory": per_socket, "idle": idle, "joined": joined}
        if saturate:
            figures["saturation"] = await saturation(target, workers, senders, joined, config)
        return figures
    finally:
        await workers.stop()
        await senders.close()


async def quiet(target: Target, longest: float = 60) -> None:
    """Wait until the server has finished handling the joins (snapshots, presence): the idle
    CPU is measured on connected clients, not on the tail of their arrival."""
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline:
        before = server_cpu(target.pids)
        await asyncio.sleep(1)
        if server_cpu(target.pids) - before < QUIET_CPU:
            return


async def saturation(target: Target, workers: Workers, senders: Senders, joined: dict,
                     config: Config) -> dict[float, Measure]:  # fmt: skip
    results = {}
    for rate in config.saturation_rates:
        count = max(3, round(rate * config.saturation_seconds))
        keys = await senders.fire(rate, count)
        result = await deliveries(workers, senders, keys, joined["ready"], 60)
        describe(f"{target.label}, {rate:g} cartes/s", result)
        results[rate] = result
        if result.p(0.99) > 10_000:
            print("   (p99 au-delà de 10 s : on arrête de monter)", flush=True)
            break
    return results


async def join_storm(target: Target, seeded: Seeded, joins: int, rate: float,
                     workers_count: int) -> dict:  # fmt: skip
    """`joins` sockets opened at `rate` per second, each waiting for its snapshot; then one
    card must reach every one of them."""
    await asyncio.to_thread(reset_board, seeded.board_id)
    workers = Workers(workers_count)
    await workers.start()
    senders = Senders(target, seeded.tokens[:1], seeded.column_id)
    try:
        started = time.perf_counter()
        joined = await workers.connect(target, seeded.tokens[SENDERS : SENDERS + joins], rate)
        wall = time.perf_counter() - started
        await senders.open()
        keys = await senders.fire(1, 1)
        check = await deliveries(workers, senders, keys, joined["ready"], 30)
        seconds = [s * 1000 for s in joined["seconds"]]
        print(
            f"   {target.label} : {joined['ready']}/{joins} prêts en {wall:.1f} s, échecs "
            f"{joined['failed'] or 0}, durée d'une arrivée (connexion -> snapshot) p50 "
            f"{percentile(seconds, 0.5):.0f} ms, p99 {percentile(seconds, 0.99):.0f} ms ; "
            f"carte suivante reçue par {check.expected - check.lost}/{joined['ready']}",
            flush=True,
        )
        return {"joined": joined, "wall": wall, "check": check}
    finally:
        await workers.stop()
        await senders.close()


# --- Run --------------------------------------------------------------------------------------


def raise_open_files_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, needed), hard))
    if hard < needed:
        print(f"Attention : ulimit -n plafonné à {hard}, il en faudrait {needed}.")


def median_of(runs: list[dict], pick) -> float:
    values = [pick(run) for run in runs if run is not None]
    return statistics.median(values) if values else float("nan")


def summary(results: dict, client_counts: list[int]) -> None:
    """Medians over repeats, and the ratios the issue sets targets on."""
    print("\nSynthèse (médianes des répétitions) :", flush=True)
    for clients in client_counts:
        plain, daphne = results[("plain", clients)], results[("daphne", clients)]
        p99_plain = median_of(plain, lambda r: r["steady"].p(0.99))
        p99_daphne = median_of(daphne, lambda r: r["steady"].p(0.99))
        target = {1000: 2.0, 2000: 2.5}.get(clients)
        goal = f" (objectif ≤ {target:g})" if target else ""
        print(
            f"   {clients:>5} clients : p99 réf. {p99_plain:6.1f} ms, Daphne {p99_daphne:6.1f} ms,"
            f" rapport {p99_daphne / p99_plain:4.2f}{goal} ; p50 "
            f"{median_of(plain, lambda r: r['steady'].p(0.5)):.1f} / "
            f"{median_of(daphne, lambda r: r['steady'].p(0.5)):.1f} ms ; mémoire Daphne "
            f"{median_of(daphne, lambda r: r['memory']):.1f} Kio/connexion (objectif ≤ 50), "
            f"réf. {median_of(plain, lambda r: r['memory']):.1f} ; CPU au repos Daphne "
            f"{median_of(daphne, lambda r: r['idle']):.1f} %, réf. "
            f"{median_of(plain, lambda r: r['idle']):.1f} %",
            flush=True,
        )
    for clients in client_counts:
        pair = results.get(("daphne×2", clients))
        if pair:
            p99_pair = median_of(pair, lambda r: r["steady"].p(0.99))
            p99_plain = median_of(results[("plain", clients)], lambda r: r["steady"].p(0.99))
            print(
                f"   {clients:>5} clients sur 2 Daphne + Redis : p99 {p99_pair:.1f} ms, rapport "
                f"à la réf. {p99_pair / p99_plain:4.2f}",
                flush=True,
            )


def problems_in(results: dict, storms: list[dict]) -> list[str]:
    problems = []
    for (server, clients), runs in results.items():
        for run in runs:
            measures = [run["steady"], *run.get("saturation", {}).values()]
            lost = sum(m.lost for m in measures)
            duplicated = sum(m.duplicates for m in measures)
            if lost or duplicated or run["joined"]["failed"]:
                problems.append(
                    f"{server}, {clients} clients : {lost} perdus, {duplicated} doublons, "
                    f"arrivées échouées {run['joined']['failed']}"
                )
    for storm in storms:
        if storm["joined"]["failed"] or storm["check"].lost:
            problems.append(
                f"afflux : arrivées échouées {storm['joined']['failed']}, "
                f"{storm['check'].lost} cartes perdues ensuite"
            )
    return problems


def parse(argv: list[str]) -> tuple[argparse.Namespace, Config]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="moins de cartes, 1 répétition")
    parser.add_argument("--clients", default="100,500,1000,2000")
    parser.add_argument("--repeat", type=int, default=None, help="répétitions (3, 1 en --quick)")
    parser.add_argument("--events", type=int, default=None, help="cartes par mesure (15, 5)")
    parser.add_argument("--interval", type=float, default=2.0, help="secondes entre deux cartes")
    parser.add_argument("--saturation-at", type=int, default=1000)
    parser.add_argument("--saturation-rates", default="2,5,10,20,50,100")
    parser.add_argument("--no-saturation", action="store_true")
    parser.add_argument("--idle-seconds", type=float, default=None, help="CPU au repos (20, 5)")
    parser.add_argument("--pair-clients", default="1000,2000",
                        help="nombres de clients mesurés sur deux Daphne")  # fmt: skip
    parser.add_argument("--storm", type=int, default=2000, help="arrivées de l'afflux (0 : non)")
    parser.add_argument("--storm-rate", type=float, default=1000)
    parser.add_argument("--client-processes", type=int, default=2)
    options = parser.parse_args(argv)
    config = Config(
        steady_events=options.events or (5 if options.quick else 15),
        interval=options.interval,
        idle_seconds=options.idle_seconds or (5 if options.quick else 20),
        saturation_rates=[float(r) for r in options.saturation_rates.split(",")],
        saturation_seconds=3 if options.quick else 5,
        workers=options.client_processes,
    )
    options.repeat = options.repeat or (1 if options.quick else 3)
    return options, config


async def sweep(options, config: Config, env: dict, seeded: Seeded, client_counts: list[int],
                pair_counts: list[int]) -> dict:  # fmt: skip
    results: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for repeat in range(options.repeat):
        print(f"\nRépétition {repeat + 1}/{options.repeat}", flush=True)
        for clients in client_counts:
            saturate = (
                not options.no_saturation and clients == options.saturation_at and repeat == 0
            )  # once: the rates where it breaks down, not a median
            with plain_server() as target:
                results[("plain", clients)].append(
                    await run_target(target, seeded, clients, config, saturate)
                )
            with daphne_servers(env, seeded, 1) as target:
                results[("daphne", clients)].append(
                    await run_target(target, seeded, clients, config, saturate)
                )
        for clients in pair_counts:
            with daphne_servers(env, seeded, 2) as target:
                results[("daphne×2", clients)].append(
                    await run_target(target, seeded, clients, config, False)
                )
    return results


async def storms(options, env: dict, seeded: Seeded) -> list[dict]:
    if not options.storm:
        return []
    print(f"\nAfflux : {options.storm} arrivées à {options.storm_rate:g}/s", flush=True)
    found = []
    for count in (1, 2):
        with daphne_servers(env, seeded, count) as target:
            found.append(await join_storm(target, seeded, options.storm, options.storm_rate,
                                          options.client_processes))  # fmt: skip
    return found


def main(argv: list[str]) -> int:
    options, config = parse(argv)
    client_counts = [int(c) for c in options.clients.split(",")]
    pair_counts = [int(c) for c in options.pair_clients.split(",") if c]
    guests = max([*client_counts, *pair_counts, options.storm]) + SENDERS
    raise_open_files_limit(2 * guests + 1024)
    with production_stack() as (_postgres, _redis, env):
        started = time.perf_counter()
        seeded = seed(guests)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"Données : une session, un tableau, {guests} invité·es "
            f"({time.perf_counter() - started:.0f} s)."
            f"\nMachine : {os.cpu_count()} cœurs, charge moyenne {load} ; clients répartis sur "
            f"{config.workers} processus ; {config.steady_events} cartes toutes les "
            f"{config.interval:g} s par mesure ; {options.repeat} répétition(s).",
            flush=True,
        )  # fmt: skip
        results = asyncio.run(sweep(options, config, env, seeded, client_counts, pair_counts))
        found_storms = asyncio.run(storms(options, env, seeded))
        summary(results, client_counts)
        problems = problems_in(results, found_storms)
        for problem in problems:
            print(f"   ÉCART : {problem}")
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
