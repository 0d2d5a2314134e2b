"""What both benchmarks share: the production stack (DEBUG off, PostgreSQL, Redis) started by
tests/services.py, Django set up in this process on it, an HTTP server as a child process, and
small statistics helpers. Figures are printed, never asserted on time."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.services import _wait_for_port, free_port, running_services

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def production_env(postgres_url: str, redis_url: str) -> dict[str, str]:
    """Production settings, less TLS (plain HTTP on the loopback) and with the API throttles
    raised so the benchmark measures the vote path, not the rate limiter's refusals (the
    throttle still runs: its counters are read and written in Redis on every request)."""
    return {
        "DEBUG": "false",
        "SECRET_KEY": "banc-d-essai-" + "9fQ2xL7mWc" * 6,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "CONN_MAX_AGE": "60",
        # As in .env.example; DATABASE_POOL_SIZE=0 in the shell measures without the pool.
        "DATABASE_POOL_SIZE": os.environ.get("DATABASE_POOL_SIZE", "10"),
        "THROTTLE_USER": "1000000/min",
        "THROTTLE_ANON": "1000000/min",
        # Every bench client is a guest on 127.0.0.1, sending faster than a person.
        "RATE_LIMIT_LIVE_COMMANDS": "1000000/m",
        "LIVE_GUEST_SOCKETS_PER_ADDRESS": "1000000",
        "LOG_LEVEL": "WARNING",
    }


@contextlib.contextmanager
def production_stack(*, durable: bool = True):
    """PostgreSQL and Redis started for the run, Django set up here on them, schema migrated.
    Yields (postgres, redis, env) and stops the servers whatever happens."""
    with running_services(durable=durable) as (postgres, redis):
        env = production_env(postgres.url, redis.url)
        os.environ.update(env)
        os.environ["DJANGO_SETTINGS_MODULE"] = "consultation.settings"
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        yield postgres, redis, {**os.environ, **env}


SERVERS = {
    "daphne": lambda port: [
        str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "-v", "0",
        "consultation.asgi:application",
    ],
    "uvicorn": lambda port: [
        str(BIN / "uvicorn"), "consultation.asgi:application", "--host", "127.0.0.1",
        "--port", str(port), "--no-access-log", "--log-level", "warning",
    ],
    "uvicorn-2-workers": lambda port: [
        str(BIN / "uvicorn"), "consultation.asgi:application", "--host", "127.0.0.1",
        "--port", str(port), "--no-access-log", "--log-level", "warning", "--workers", "2",
    ],
    # WSGI: Django's whole middleware chain and the view run in one thread, with none of the
    # sync/async hops the ASGI handler makes for each middleware hook.
    "gunicorn": lambda port: [
        str(BIN / "gunicorn"), "consultation.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--worker-class", "gthread", "--workers", "1", "--threads", "8", "--log-level", "warning",
    ],
    "gunicorn-2-workers": lambda port: [
        str(BIN / "gunicorn"), "consultation.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--worker-class", "gthread", "--workers", "2", "--threads", "8", "--log-level", "warning",
    ],
}  # fmt: skip


@contextlib.contextmanager
def app_server(kind: str, env: dict[str, str]):
    """Start one HTTP server on a free port; yields its base URL and process id, stops it
    afterwards."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in the finally below)
        prefix=f"bench-{kind}-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        SERVERS[kind](port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for_port(port, process, kind)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        errors = Path(log.name).read_text(errors="replace")
        if "Traceback" in errors:
            print(f"   (journal du serveur avec erreurs : {log.name})")
        else:
            os.unlink(log.name)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(fraction * 1000) - 1]


def tree_cpu_seconds(root_pid: int) -> float:
    """CPU time (user + system) of a process, its living descendants and its reaped children:
    a figure that does not depend on what else the machine is doing."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    cpu: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
        cpu[int(entry)] = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0)
        todo += children.get(pid, [])
    return total / ticks


def postmaster_pid(postgres) -> int:
    return int((postgres.base_dir / "data" / "postmaster.pid").read_text().split()[0])
