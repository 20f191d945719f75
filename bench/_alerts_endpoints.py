"""bench.alerts' endpoints, in its own process: a keep-alive webhook receiver stamping each
arrival, a black hole counting the connections it holds, and an SMTP inbox (aiosmtpd)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.parser import BytesHeaderParser
from typing import Any, cast

from aiosmtpd.controller import Controller

from vigie.platform.processes import free_port


class Receiver:
    """A keep-alive HTTP/1.1 webhook endpoint answering 200 at once; each arrival stamped."""

    def __init__(self, *, keep_bodies: bool = False) -> None:
        self.count = 0
        self.last_at = 0.0
        self.arrivals: list[tuple[float, bytes]] = []
        self._keep = keep_bodies
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        """Listen; the URL to POST to."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hook"

    def arrived(self, body: bytes) -> None:
        """One request read whole."""
        self.count += 1
        self.last_at = time.perf_counter()
        if self._keep:
            self.arrivals.append((self.last_at, body))

    def close(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()


class _Connection(asyncio.Protocol):
    def __init__(self, receiver: Receiver) -> None:
        self._receiver = receiver
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            length = 0
            for line in self._buffer[:end].split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if len(self._buffer) < end + 4 + length:
                return
            body = self._buffer[end + 4 : end + 4 + length]
            self._buffer = self._buffer[end + 4 + length :]
            self._receiver.arrived(body)
            assert self._transport is not None
            self._transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")


class BlackHole(asyncio.Protocol):
    """An endpoint that accepts connections and never answers; how many it held at once."""

    def __init__(self) -> None:
        self.open = 0
        self.most = 0
        self._transports: list[asyncio.BaseTransport] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.open += 1
        self.most = max(self.most, self.open)
        self._transports.append(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.open -= 1

    async def start(self) -> str:
        """Listen; the URL that never answers."""
        server = await asyncio.get_running_loop().create_server(lambda: self, "127.0.0.1", 0)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"

    def close(self) -> None:
        """Hang up on every connection."""
        for transport in self._transports:
            transport.close()


class Inbox:
    """An aiosmtpd handler stamping each message's arrival with its X-Vigie-Delivery."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Stamp the message (aiosmtpd calls this in its own thread)."""
        headers = BytesHeaderParser().parsebytes(envelope.content)
        self.arrivals.append((time.perf_counter(), str(headers["X-Vigie-Delivery"])))
        return "250 Message accepted"


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A local SMTP server (aiosmtpd, in its own thread); its inbox and port."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
