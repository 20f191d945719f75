"""A minimal HTTP/1.1 keep-alive client for load generation: a general-purpose client uses
more CPU than the server on tiny requests, and would measure itself."""

from __future__ import annotations

import asyncio


class KeepAlive:
    """One keep-alive connection posting JSON bodies, one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, url: str) -> KeepAlive:
        """Connect to `http://host:port`."""
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer)

    async def post(
        self, path: str, body: bytes, *, token: str, content_type: str = "application/json"
    ) -> int:
        """POST a body (JSON unless said); the response status (the body is read and dropped)."""
        self._writer.write(
            b"POST " + path.encode() + b" HTTP/1.1\r\nHost: intake\r\n"
            b"Authorization: Bearer " + token.encode() + b"\r\n"
            b"Content-Type: " + content_type.encode() + b"\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        head = await self._reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self._reader.readexactly(length)
        return int(head[9:12])

    def close(self) -> None:
        """Close the connection."""
        self._writer.close()
