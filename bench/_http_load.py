"""A lean HTTP/1.1 load client for bench/votes: one keep-alive connection per client, requests
written as prepared bytes, answers read by Content-Length, on uvloop.

httpx costs 4 to 10 ms of processor time per request on this machine (bench/RESULTS.md,
session 1), as much as the server it measures; on 2 cores the client then takes the processor
the server needs. This one costs tens of microseconds per request, so the figures are the
server's. It speaks just what the benchmark sends: POST with an optional JSON body, answers with
a Content-Length (Django, Daphne, uvicorn and gunicorn all send one for these), no chunking.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class HttpError(Exception):
    """The server closed the connection or sent something this client cannot read."""


def post_request(host: str, path: str, token: str, body: bytes | None = None) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        f"Authorization: Token {token}",
        "Accept: application/json",
    ]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    else:
        lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


class Connection:
    """One keep-alive connection; `send` writes a request and returns (status, body)."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self.address = (parts.hostname, parts.port or 80)
        self.host = parts.netloc
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(*self.address)

    async def send(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self._connect()
        try:
            self.writer.write(request)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status, length, close = _parse_head(head)
            body = await self.reader.readexactly(length) if length else b""
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            self.close()
            raise HttpError(type(error).__name__) from error
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    lines = head.split(b"\r\n")
    try:
        status = int(lines[0].split(b" ", 2)[1])
    except (IndexError, ValueError) as error:
        raise HttpError(f"ligne d'état illisible : {lines[0][:80]!r}") from error
    length, close = None, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
        elif name == b"transfer-encoding":
            raise HttpError("réponse découpée (chunked) : non prise en charge")
    if length is None:
        raise HttpError("réponse sans Content-Length")
    return status, length, close
