"""A small HTTP load loop for intake (127.0.0.1 only): events sent by a few concurrent senders,
each retried with the same event_id on 503 or a failed connection until intake accepts it."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import httpx
import orjson

from tests.support.intake import bearer

RETRY_PAUSE_S = 0.1  # shorter than intake's Retry-After: the test wants the retry soon


class IntakeLoad:
    """Sends incident events to `POST /v1/incidents` and records what happened to them."""

    def __init__(self, url: str, *, token: str, concurrency: int = 8) -> None:
        assert url.startswith("http://127.0.0.1:"), "load only ever goes to this machine"
        self.url = url
        self.headers = {**bearer(token), "Content-Type": "application/json"}
        self.concurrency = concurrency
        self.accepted: dict[str, dict[str, Any]] = {}
        self.refused = 0  # 503 answers (draining, or the broker unavailable)
        self.unreachable = 0  # connections refused or cut (the process stopped)
        self.unexpected: Counter[int] = Counter()
        self.in_flight = 0

    async def send(self, events: list[dict[str, Any]], *, deadline_s: float) -> None:
        """Send every event, each until it is accepted or `deadline_s` seconds pass."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for event in events:
            queue.put_nowait(event)
        deadline = time.monotonic() + deadline_s
        limits = httpx.Limits(max_keepalive_connections=self.concurrency)
        async with httpx.AsyncClient(
            base_url=self.url, timeout=10, limits=limits, trust_env=False
        ) as client:
            await asyncio.gather(
                *(self._sender(client, queue, deadline) for _ in range(self.concurrency))
            )

    async def wait_accepted(self, count: int, *, within: float) -> bool:
        """Until `count` events were accepted (False after `within` seconds)."""
        deadline = time.monotonic() + within
        while len(self.accepted) < count:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    async def _sender(
        self, client: httpx.AsyncClient, queue: asyncio.Queue[dict[str, Any]], deadline: float
    ) -> None:
        while not queue.empty():
            event = queue.get_nowait()
            body = orjson.dumps(event)
            while time.monotonic() < deadline:
                self.in_flight += 1
                try:
                    response = await client.post(
                        "/v1/incidents", content=body, headers=self.headers
                    )
                except httpx.TransportError:
                    self.unreachable += 1
                    await asyncio.sleep(RETRY_PAUSE_S)
                    continue
                finally:
                    self.in_flight -= 1
                if response.status_code == 202:
                    self.accepted[event["event_id"]] = event
                    break
                if response.status_code == 503:
                    self.refused += 1
                else:
                    self.unexpected[response.status_code] += 1
                await asyncio.sleep(RETRY_PAUSE_S)
