"""Throwaway PostgreSQL and Redis servers for the test suite and the benchmarks.

As a launcher, it starts both servers in a temporary directory, runs a command with
`DATABASE_URL` and `REDIS_URL` pointing at them, and stops them afterwards, even when the
command fails or is interrupted:

    python -m tests.services -- pytest -m postgres

When a server binary is missing it says why and exits 0 ("skipped") on a laptop, but exits 1
when `CI=true`: in CI a missing service is a failure, never a skip.

As a library, `PostgresServer` and `RedisServer` have `start()`, `stop()` and (Redis)
`restart()` on the same port, for tests that need to lose Redis mid-session; the `redis_server`
fixture below hands one to a test and always stops it.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
START_TIMEOUT = 30.0


class ServiceUnavailable(RuntimeError):
    """A server binary is missing or cannot run here; the message says what to install."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen) -> None:
    """Ask a server to stop, and kill it if it has not within 10 s."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_for_port(port: int, process: subprocess.Popen | None, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} s'est arrêté au démarrage (code {process.returncode}).")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} ne répond pas sur le port {port} après {START_TIMEOUT:.0f} s.")


def postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl live: Debian's versioned directory, else the PATH."""
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if debian:
        return Path(debian[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


class PostgresServer:
    """A private PostgreSQL cluster in a temporary directory, listening on 127.0.0.1.

    PostgreSQL refuses to run as root, so under root every server command runs as the
    `postgres` system user (created by Debian's postgresql package), which owns the directory.
    `durable=False` (tests) turns off fsync: nothing here needs to survive a power cut.
    """

    def __init__(self, *, durable: bool = False, database: str = "concertation") -> None:
        self.durable = durable
        self.database = database
        self.port = 0
        self.base_dir: Path | None = None
        self.bindir = postgres_bindir()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    def _command(self, name: str, *args: str) -> list[str]:
        command = [str(self.bindir / name), *args]
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *command]
        return command

    def _run(self, name: str, *args: str) -> None:
        result = subprocess.run(
            self._command(name, *args), capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{name} a échoué : {result.stdout}{result.stderr}")

    def check_available(self) -> None:
        if self.bindir is None:
            raise ServiceUnavailable(
                "PostgreSQL est introuvable (ni /usr/lib/postgresql/*/bin ni pg_ctl dans le "
                "PATH) : installez le paquet « postgresql »."
            )
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError as error:
                raise ServiceUnavailable(
                    "lancé en root sans utilisateur système « postgres » : installez le paquet "
                    "« postgresql », qui le crée."
                ) from error
            if shutil.which("runuser") is None:
                raise ServiceUnavailable("runuser (util-linux) est introuvable.")

    def start(self) -> PostgresServer:
        self.check_available()
        self.base_dir = Path(tempfile.mkdtemp(prefix="concertation-pg-"))
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.base_dir, owner.pw_uid, owner.pw_gid)
        data = str(self.base_dir / "data")
        init = ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8"]
        try:
            self._run("initdb", *init, "--locale=C.UTF-8")
        except RuntimeError:
            shutil.rmtree(data, ignore_errors=True)
            self._run("initdb", *init, "--no-locale")
        self.port = free_port()
        options = [
            f"-p {self.port}",
            f"-k {self.base_dir}",
            "-c listen_addresses=127.0.0.1",
            "-c max_connections=300",
            "-c shared_buffers=256MB",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._options = options
        self.resume()
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "concertation"
        )
        return self

    def pause(self) -> None:
        """Stop the server and keep its data: clients see PostgreSQL go down (an outage)."""
        self._run("pg_ctl", "-D", str(self.base_dir / "data"), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """(Re)start the server on its port and data (after `pause`: the outage is over)."""
        data, log = str(self.base_dir / "data"), str(self.base_dir / "postgresql.log")
        self._run("pg_ctl", "-D", data, "-l", log, "-o", " ".join(self._options), "-w", "start")

    def stop(self) -> None:
        if self.base_dir is None:
            return
        data = str(self.base_dir / "data")
        with contextlib.suppress(RuntimeError):
            self._run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base_dir, ignore_errors=True)
        self.base_dir = None

    def psql(self, sql: str) -> str:
        """Run one SQL statement as the superuser and return psql's unaligned output."""
        result = subprocess.run(
            self._command(
                "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                "-d", self.database, "-XAtc", sql,
            ),
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return result.stdout.strip()


class RedisServer:
    """A Redis server with no persistence, as a child process on a fixed port.

    `restart()` brings it back on the same port, empty: what a client sees when the real
    Redis restarts during a workshop.
    """

    def __init__(self, port: int | None = None) -> None:
        self.binary = shutil.which("redis-server")
        self.port = port or 0
        self.process: subprocess.Popen | None = None
        self.base_dir: Path | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def check_available(self) -> None:
        if self.binary is None:
            raise ServiceUnavailable(
                "redis-server est introuvable : installez le paquet « redis-server »."
            )

    def start(self) -> RedisServer:
        self.check_available()
        if self.base_dir is None:
            self.base_dir = Path(tempfile.mkdtemp(prefix="concertation-redis-"))
        self.port = self.port or free_port()
        self.process = subprocess.Popen(
            [
                self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--dir", str(self.base_dir), "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            # Its own session: a Ctrl-C reaches the launcher, which stops Redis in order.
            start_new_session=True,
        )  # fmt: skip
        _wait_for_port(self.port, self.process, "redis-server")
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        if self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None


@pytest.fixture
def redis_server():
    """A private Redis for one test (import this fixture where needed); always stopped."""
    server = RedisServer()
    try:
        server.start()
    except ServiceUnavailable as error:
        if IN_CI:
            pytest.fail(str(error))
        pytest.skip(str(error))
    yield server
    server.close()


@contextlib.contextmanager
def running_services(*, durable: bool = False):
    """Start PostgreSQL and Redis, yield them, stop both whatever happens."""
    postgres, redis = PostgresServer(durable=durable), RedisServer()
    postgres.check_available()
    redis.check_available()
    try:
        postgres.start()
        redis.start()
        yield postgres, redis
    finally:
        redis.close()
        postgres.stop()


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        print("usage : python -m tests.services -- <commande> [arguments]", file=sys.stderr)
        return 2
    try:
        with running_services() as (postgres, redis):
            # DEBUG is off unless set; what runs here is tests (pytest sets it too: pyproject).
            env = {"DEBUG": "true", **os.environ, "DATABASE_URL": postgres.url}
            env["REDIS_URL"] = redis.url
            print(f"services : PostgreSQL {postgres.url} ; Redis {redis.url}", flush=True)
            child = subprocess.Popen(command, env=env)
            try:
                return child.wait()
            except KeyboardInterrupt:
                child.send_signal(signal.SIGINT)
                child.wait()
                return 130
    except ServiceUnavailable as error:
        if IN_CI:
            print(f"services : ÉCHEC en CI, {error}", file=sys.stderr)
            return 1
        print(f"services : passe ignorée (skipped), {error}")
        return 0


if __name__ == "__main__":
    # A SIGTERM (CI cancelling the job) stops the servers like a Ctrl-C does.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    sys.exit(main(sys.argv[1:]))
