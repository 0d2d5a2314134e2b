"""The reference of bench/fanout: a minimal broadcast server on the `websockets` library, with no
Django, no database and no channel layer, speaking just enough of protocol v1 for the bench's
client (hello, snapshot, card.add, ack, card.added).

    python -m bench._fanout_plain PORT

Each card is serialised once and handed to `websockets.broadcast`, which writes to every socket
without waiting for any of them: the fastest a Python process can fan out, and what the issue
compares the live boards to.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

from websockets.asyncio.server import ServerConnection, broadcast, serve

ready: set[ServerConnection] = set()
state = {"seq": 0, "card": 0}


def card_added(command: dict, author: int) -> dict:
    """The same fields as the live board's card object, so the message has the same size."""
    state["seq"] += 1
    state["card"] += 1
    card = {
        "id": state["card"], "key": command["id"], "column": command["column"], "cluster": None,
        "text": command["text"], "colour": "yellow", "position": state["card"],
        "author": {"id": author, "name": f"Invité·e {author}"}, "mine": False, "dots": None,
        "created_at": datetime.now(UTC).isoformat(),
    }  # fmt: skip
    return {"type": "card.added", "seq": state["seq"], "card": card}


async def handler(socket: ServerConnection) -> None:
    author = id(socket) % 100_000
    try:
        async for raw in socket:
            message = json.loads(raw)
            if message.get("type") == "hello":
                snapshot = {"type": "snapshot", "protocol": 1, "seq": state["seq"], "cards": []}
                await socket.send(json.dumps(snapshot))
                ready.add(socket)
            elif message.get("type") == "card.add" and socket in ready:
                event = card_added(message, author)
                broadcast(ready, json.dumps(event, ensure_ascii=False))
                ack = {"type": "ack", "id": message["id"], "seq": event["seq"], "result": {}}
                await socket.send(json.dumps(ack))
    finally:
        ready.discard(socket)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, compression=None, backlog=2048) as server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
