"""realtime.wire: frames written straight to a socket, below Daphne's ASGI `send`.

The protocol here is autobahn's own server protocol (Daphne's is a subclass), on a real
Twisted TCP connection over a real socket pair, after a real opening handshake; only the
reactor is a recorder, so the test decides when Twisted flushes its buffer.
"""

import asyncio
import base64
import functools
import os
import socket

import pytest
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from autobahn.websocket.protocol import WebSocketProtocol
from twisted.internet import tcp
from websockets.frames import Frame
from websockets.streams import StreamReader

from realtime import fanout, wire

KEY = base64.b64encode(os.urandom(16)).decode()
HANDSHAKE = (
    "GET /ws/sessions/1/boards/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
).encode()


class RecordingReactor:
    """Only what a TCP connection asks of its reactor: which descriptors want to write."""

    def __init__(self):
        self.writers, self.readers = set(), set()

    def addWriter(self, writer):
        self.writers.add(writer)

    def removeWriter(self, writer):
        self.writers.discard(writer)

    def addReader(self, reader):
        self.readers.add(reader)

    def removeReader(self, reader):
        self.readers.discard(reader)

    def callLater(self, *args, **kwargs):  # autobahn's timers are all switched off below
        raise AssertionError("no timer expected")


class Peer:
    """The client end of the socket pair: reads what the server wrote, frame by frame."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.bytes = b""

    def read_available(self) -> None:
        self.sock.setblocking(False)
        try:
            while chunk := self.sock.recv(1 << 20):
                self.bytes += chunk
        except BlockingIOError:
            pass

    def frames(self) -> list[str]:
        reader = StreamReader()
        reader.feed_data(self.bytes)
        reader.feed_eof()
        texts = []
        parser = Frame.parse(reader.read_exact, mask=False)
        while True:
            try:
                texts.append(_run_parser(parser).data.decode())
            except EOFError:
                return texts
            parser = Frame.parse(reader.read_exact, mask=False)


def _run_parser(parser):
    try:
        next(parser)
    except StopIteration as done:
        return done.value
    raise EOFError


@pytest.fixture
def server():
    """An open websocket: (protocol, its Twisted transport, the reactor, the client's end)."""
    server_sock, client_sock = socket.socketpair()
    reactor = RecordingReactor()
    factory = WebSocketServerFactory(reactor=reactor)
    factory.protocol = WebSocketServerProtocol  # Twisted's (Daphne's is a subclass of it)
    factory.setProtocolOptions(
        openHandshakeTimeout=0,
        closeHandshakeTimeout=0,
        autoPingInterval=0,
        perMessageCompressionAccept=lambda offers: None,
    )
    protocol = factory.buildProtocol(None)
    server_sock.setblocking(False)
    transport = tcp.Server(server_sock, protocol, ("127.0.0.1", 50000), None, 1, reactor)
    protocol.makeConnection(transport)
    protocol.dataReceived(HANDSHAKE)
    transport.doWrite()  # the 101 answer
    peer = Peer(client_sock)
    peer.read_available()
    assert peer.bytes.startswith(b"HTTP/1.1 101")
    peer.bytes = b""
    assert protocol.state == WebSocketProtocol.STATE_OPEN
    yield protocol, transport, reactor, peer
    server_sock.close()
    client_sock.close()


def daphne_like_send(protocol):
    async def handle_reply(protocol, message):  # Daphne's Server.handle_reply, in shape
        protocol.sendMessage(message["text"].encode())

    return functools.partial(handle_reply, protocol)


def test_frame_is_what_autobahn_would_send(server):
    protocol, transport, _reactor, peer = server
    text = "Carte : « rouvrir le lavoir » " * 10  # 2-byte length form, non-ASCII
    protocol.sendMessage(text.encode())
    transport.doWrite()
    peer.read_available()
    assert peer.bytes == wire.frame(text)
    assert peer.frames() == [text]


def test_the_direct_socket_is_found_only_behind_a_daphne_like_send(server):
    protocol = server[0]
    assert wire.DirectSocket.of(daphne_like_send(protocol)).protocol is protocol
    assert wire.DirectSocket.of(lambda message: None) is None
    assert wire.DirectSocket.of(functools.partial(print, "not a protocol")) is None


def test_an_idle_socket_gets_the_frame_at_once_without_the_poller(server):
    protocol, _transport, reactor, peer = server
    direct = wire.DirectSocket(protocol)
    assert direct.write(wire.frame('{"type":"card.added","seq":1}'))
    assert reactor.writers == set()  # no registration for a write one loop turn later
    peer.read_available()
    assert peer.frames() == ['{"type":"card.added","seq":1}']
    assert direct.written == 1


def test_a_frame_goes_behind_what_twisted_still_holds(server):
    protocol, transport, reactor, peer = server
    protocol.sendMessage(b'{"seq":1}')  # through autobahn: buffered until the loop turns
    assert transport in reactor.writers
    assert wire.DirectSocket(protocol).write(wire.frame('{"seq":2}'))
    peer.read_available()
    assert peer.frames() == []  # nothing overtook the buffered frame
    transport.doWrite()
    peer.read_available()
    assert peer.frames() == ['{"seq":1}', '{"seq":2}']


def test_a_full_socket_leaves_the_rest_to_twisted_in_order(server):
    protocol, transport, reactor, peer = server
    transport.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    direct = wire.DirectSocket(protocol)
    texts = [f'{{"seq":{n},"text":"{"haie " * 200}"}}' for n in range(1, 400)]
    for text in texts:  # ~400 KB: more than the kernel buffers take while nobody reads
        assert direct.write(wire.frame(text))
    assert transport in reactor.writers  # Twisted holds the rest and waits to write it
    for _ in range(10_000):
        peer.read_available()
        if transport not in reactor.writers:
            break
        transport.doWrite()
    peer.read_available()
    assert peer.frames() == texts


@pytest.mark.parametrize("state", ["closing", "compressed", "tls", "lost"])
def test_what_the_direct_path_does_not_handle_is_left_to_asgi(server, state):
    protocol, transport, _reactor, peer = server
    if state == "closing":
        protocol.sendClose(code=1000)
    elif state == "compressed":
        protocol._perMessageCompress = object()
    elif state == "tls":
        transport.TLS = True
    else:
        transport.connected = False
    peer.read_available()
    before = peer.bytes
    direct = wire.DirectSocket(protocol)
    assert not direct.write(wire.frame('{"seq":1}'))
    peer.read_available()
    assert peer.bytes == before
    assert direct.written == 0


def test_the_outbox_writes_shared_messages_directly_and_the_rest_through_asgi(server):
    protocol, transport, _reactor, peer = server
    sent = []

    async def send(message):
        sent.append(message)
        protocol.sendMessage(message["text"].encode())

    async def scenario():
        outbox = fanout.Outbox(send, direct=wire.DirectSocket(protocol))
        shared = fanout.text_message('{"seq":1}')
        outbox.push(shared)  # a board event: framed once, written directly
        outbox.push({"type": "websocket.send", "text": '{"type":"ack"}'})  # this socket's own
        outbox.push(fanout.text_message('{"seq":2}'))  # behind the ack in Twisted's buffer
        return shared

    shared = asyncio.run(scenario())
    assert shared.frame == wire.frame('{"seq":1}')
    assert [message["text"] for message in sent] == ['{"type":"ack"}']
    transport.doWrite()
    peer.read_available()
    assert peer.frames() == ['{"seq":1}', '{"type":"ack"}', '{"seq":2}']
