"""What the production server negotiates: board sockets are never compressed per connection
(permessage-deflate would cost one compression per socket and event), and a foreign Origin is
refused with HTTP 403 before any message."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.services import _wait_for_port, free_port

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = Path(sys.executable).parent / "daphne"
PATH = "/ws/sessions/1/boards/1/"


@pytest.fixture(scope="module")
def daphne():
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "consultation.settings", "DEBUG": "true"}
    process = subprocess.Popen(
        [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "consultation.asgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for_port(port, process, "daphne")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_board_sockets_are_not_compressed_even_when_the_client_offers(daphne):
    async def scenario():
        url = f"ws://127.0.0.1:{daphne}{PATH}"
        origin = f"http://127.0.0.1:{daphne}"
        async with connect(url, origin=origin, compression="deflate") as socket:
            assert "permessage-deflate" in socket.request.headers["Sec-WebSocket-Extensions"]
            assert socket.response.headers.get("Sec-WebSocket-Extensions") is None

    asyncio.run(scenario())


def test_a_foreign_origin_gets_http_403(daphne):
    async def scenario():
        url = f"ws://127.0.0.1:{daphne}{PATH}"
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, origin="https://evil.example"):
                pass
        assert refused.value.response.status_code == 403

    asyncio.run(scenario())


def test_close_codes_get_through_daphne(daphne):
    """autobahn sends only 1000 and 3000-4999: an oversized first message closes with 4009
    (a 1009 would be refused by the server and never reach the client)."""

    async def scenario():
        url = f"ws://127.0.0.1:{daphne}{PATH}"
        async with connect(url, origin=f"http://127.0.0.1:{daphne}", max_size=None) as socket:
            await socket.send("x" * (64 * 1024 + 1))
            await socket.wait_closed()
            assert socket.close_code == 4009

    asyncio.run(scenario())
