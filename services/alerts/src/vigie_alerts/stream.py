"""The live stream of alert changes for `GET /v1/alerts/stream` (Server-Sent Events).

Each process reads alerts.v1 itself (no consumer group: every replica sees every change,
whichever replica made it) and hands each message to its connected listeners, each filtered by
what its key may see. A listener that does not keep up loses the oldest messages, never blocks
the others."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson

QUEUE_SIZE = 1000
KEEPALIVE_S = 15.0

Visible = Callable[[dict[str, Any]], bool]


class AlertStream:
    """Fan-out of alerts.v1 messages to SSE listeners."""

    def __init__(self) -> None:
        self._listeners: set[asyncio.Queue[dict[str, Any]]] = set()

    @property
    def listeners(self) -> int:
        """Connected listeners."""
        return len(self._listeners)

    def publish(self, change: dict[str, Any]) -> None:
        """Hand a change to every listener."""
        for queue in self._listeners:
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(change)

    async def events(self, visible: Visible) -> AsyncIterator[bytes]:
        """SSE frames of the changes `visible` admits, with a comment as keep-alive."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._listeners.add(queue)
        try:
            yield b": connected\n\n"
            while True:
                try:
                    change = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if visible(change):
                    yield sse_frame(change)
        finally:
            self._listeners.discard(queue)


def sse_frame(change: dict[str, Any]) -> bytes:
    """One `alert` event whose id is the change's dedup key."""
    return (
        b"event: alert\nid: "
        + str(change.get("dedup_key", "")).encode()
        + b"\ndata: "
        + orjson.dumps(change)
        + b"\n\n"
    )
