"""The launcher of throwaway servers: a skip on a laptop, a failure in CI, and a Redis that can
be restarted under a running test (the live workshop needs "Redis restarts mid-session")."""

import socket

import pytest
import redis

from tests import services
from tests.services import redis_server  # noqa: F401 (fixture)


@pytest.mark.redis
def test_a_restarted_redis_comes_back_empty_on_the_same_port(redis_server):  # noqa: F811
    client = redis.Redis.from_url(redis_server.url)
    client.set("tableau", "atelier de Béthune")
    port = redis_server.port

    redis_server.restart()

    assert redis_server.port == port
    assert client.get("tableau") is None  # redis-py reconnects by itself; nothing persisted
    assert client.ping()


@pytest.mark.redis
def test_a_stopped_redis_refuses_connections(redis_server):  # noqa: F811
    redis_server.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", redis_server.port), timeout=1)


def test_without_postgresql_a_laptop_skips_the_services_pass(monkeypatch, capsys):
    monkeypatch.setattr(services, "postgres_bindir", lambda: None)
    monkeypatch.setattr(services, "IN_CI", False)
    assert services.main(["--", "true"]) == 0
    assert "passe ignorée (skipped)" in capsys.readouterr().out


def test_without_postgresql_ci_fails_instead_of_skipping(monkeypatch, capsys):
    monkeypatch.setattr(services, "postgres_bindir", lambda: None)
    monkeypatch.setattr(services, "IN_CI", True)
    assert services.main(["--", "true"]) == 1
    assert "ÉCHEC en CI" in capsys.readouterr().err


def test_the_launcher_needs_a_command(capsys):
    assert services.main([]) == 2
    assert "usage" in capsys.readouterr().err
