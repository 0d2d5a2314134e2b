"""One client process of bench/fanout: many websocket clients of protocol v1 in one asyncio loop.

    python -m bench._fanout_client

Driven by JSON lines on stdin, one answer per line on stdout:

- `{"cmd": "connect", "targets": [[url, token], ...], "rate": 500, "origin": "http://..."}`
  opens the sockets at `rate` per second, sends `hello` on each and waits for its `snapshot`
  (or `ready`); answers how many are ready, the failures by reason and each join's duration.
- `{"cmd": "collect"}` answers the `card.added` receipts since the last collect
  (`{card key: [receipt times]}`), the duplicates, the message sizes and the sockets closed by
  the server, then forgets them.
- `{"cmd": "close"}` closes every socket and ends the process.

Receipt times are `time.time()`: one clock for every process of the machine, so the driver
subtracts the time it sent the command.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections import Counter, defaultdict

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

JOIN_TIMEOUT = 120.0


class Clients:
    def __init__(self) -> None:
        self.sockets: list[ClientConnection] = []
        self.readers: list[asyncio.Task] = []
        self.receipts: dict[str, list[float]] = defaultdict(list)
        self.seen: list[set[str]] = []
        self.duplicates = 0
        self.sizes: Counter = Counter()
        self.closed: Counter = Counter()

    async def join(self, url: str, token: str, origin: str) -> tuple[str, float]:
        """Open one socket and wait for its snapshot: ("ok", seconds) or (reason, seconds)."""
        started = time.time()
        try:
            async with asyncio.timeout(JOIN_TIMEOUT):
                socket = await connect(
                    url, origin=origin, compression=None, open_timeout=None,
                    ping_interval=None, max_size=2**22,
                )  # fmt: skip
                await socket.send(json.dumps({"type": "hello", "protocol": 1, "token": token}))
                while True:
                    first = json.loads(await socket.recv())
                    if first.get("type") in ("snapshot", "ready"):
                        break
        except TimeoutError:
            return "délai dépassé", time.time() - started
        except ConnectionClosed as closed:
            return f"fermée {closed.rcvd.code if closed.rcvd else '?'}", time.time() - started
        except InvalidStatus as error:
            return f"HTTP {error.response.status_code}", time.time() - started
        except (OSError, InvalidHandshake) as error:
            return type(error).__name__, time.time() - started
        index = len(self.sockets)
        self.sockets.append(socket)
        self.seen.append(set())
        self.readers.append(asyncio.create_task(self.read(socket, index)))
        return "ok", time.time() - started

    async def read(self, socket: ClientConnection, index: int) -> None:
        seen = self.seen[index]
        try:
            async for raw in socket:
                now = time.time()
                message = json.loads(raw)
                if message.get("type") != "card.added":
                    continue
                key = message["card"]["key"]
                if key in seen:
                    self.duplicates += 1
                    continue
                seen.add(key)
                self.receipts[key].append(now)
                self.sizes[len(raw)] += 1
        except ConnectionClosed as closed:
            self.closed[closed.rcvd.code if closed.rcvd else 1006] += 1

    async def connect_all(self, targets: list, rate: float, origin: str) -> dict:
        async def paced(i: int, url: str, token: str):
            await asyncio.sleep(i / rate)
            return await self.join(url, token, origin)

        results = await asyncio.gather(*(paced(i, u, t) for i, (u, t) in enumerate(targets)))
        outcomes = Counter(reason for reason, _ in results)
        return {
            "ready": outcomes.pop("ok", 0),
            "failed": dict(outcomes),
            "seconds": [seconds for reason, seconds in results if reason == "ok"],
        }

    def collect(self) -> dict:
        answer = {
            "receipts": self.receipts, "duplicates": self.duplicates,
            "sizes": dict(self.sizes), "closed": dict(self.closed), "open": len(self.sockets),
        }  # fmt: skip
        self.receipts = defaultdict(list)
        self.duplicates = 0
        self.sizes = Counter()
        return answer

    async def close(self) -> None:
        for reader in self.readers:
            reader.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*(s.close() for s in self.sockets), return_exceptions=True)


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    clients = Clients()
    while line := await reader.readline():
        order = json.loads(line)
        if order["cmd"] == "connect":
            answer = await clients.connect_all(order["targets"], order["rate"], order["origin"])
        elif order["cmd"] == "collect":
            answer = clients.collect()
        else:
            await clients.close()
            break
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:  # the same client either way; uvloop only lightens its own CPU
        asyncio.run(main())
    else:
        uvloop.run(main())
