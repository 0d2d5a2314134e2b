"""Writing one board event to many Daphne sockets: framed once, written straight to each socket.

Profiled at 1,000 sockets on one board (bench/fanout, py-spy), handing an event to each socket
through ASGI `send` cost about 75 µs per socket, 75 ms per event, all on the event loop:
Channels' session wrapper, Daphne's reply dispatch, autobahn framing the same text again for
every socket (and formatting debug log arguments it then drops), and Twisted registering each
socket with the poller for a write that happens one loop turn later, then unregistering it.

Here the frame's bytes are built once per audience and event (`frame`); `DirectSocket.write`
sends them on the socket at once when Twisted holds nothing for it (the common case: one
`send` system call), and otherwise appends them to Twisted's buffer, behind what is already
there, so order is kept. Anything it does not handle (a socket not open, TLS ended in Daphne,
negotiated compression, a server other than Daphne) returns False and the caller uses the ASGI
`send` as before. `DirectWriteMiddleware` puts the socket's `DirectSocket` (or None) in the
scope, since the consumer only sees `send` wrapped by Channels' middlewares.

This reaches into Daphne, autobahn and Twisted attributes that are not public API: their
versions are pinned in pyproject.toml, and tests/realtime/test_wire.py runs it through a real
Daphne (order, a client that stops reading, closing).
"""

from __future__ import annotations

import functools

from autobahn.websocket.protocol import PreparedMessage, WebSocketServerProtocol

SCOPE_KEY = "realtime.direct"


def frame(text: str) -> bytes:
    """The unmasked, uncompressed websocket text frame of `text` (a server's frame, RFC 6455)."""
    return PreparedMessage(
        text.encode("utf-8"), isBinary=False, applyMask=False, doNotCompress=True
    ).payloadHybi


class DirectSocket:
    """The write side of one Daphne websocket, below ASGI."""

    __slots__ = ("protocol", "written")

    def __init__(self, protocol: WebSocketServerProtocol):
        self.protocol = protocol
        self.written = 0  # frames written by this path (the rest went through ASGI)

    @classmethod
    def of(cls, send) -> DirectSocket | None:
        """Daphne's `send` is `partial(Server.handle_reply, protocol)`; None for any other."""
        if not isinstance(send, functools.partial) or len(send.args) != 1:
            return None
        protocol = send.args[0]
        if not isinstance(protocol, WebSocketServerProtocol):
            return None
        return cls(protocol)

    def write(self, data: bytes) -> bool:
        """Send a frame built by `frame()`; False if this path cannot, and nothing was sent."""
        protocol = self.protocol
        if (
            protocol.state != WebSocketServerProtocol.STATE_OPEN
            or protocol._perMessageCompress is not None
            or protocol.send_queue  # autobahn's own pending chopped writes
        ):
            return False
        transport = protocol.transport
        if (
            transport is None
            or getattr(transport, "TLS", True)  # TLS in Daphne: its layer must see the bytes
            or not getattr(transport, "connected", False)
            or transport.disconnecting
            or transport._writeDisconnected
        ):
            return False
        if len(transport.dataBuffer) > transport.offset or transport._tempDataBuffer:
            transport.write(data)  # behind the bytes Twisted still holds: order is kept
        else:
            try:
                sent = transport.socket.send(data)
            except BlockingIOError:
                sent = 0
            except OSError:
                return False  # the ASGI path meets the same error and closes the socket
            if sent < len(data):
                transport.write(data[sent:])  # the kernel's buffer is full: Twisted finishes
        self.written += 1
        return True


class DirectWriteMiddleware:
    """Outermost websocket middleware: records the socket's `DirectSocket` in the scope."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        return await self.app({**scope, SCOPE_KEY: DirectSocket.of(send)}, receive, send)
