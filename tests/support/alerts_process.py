"""Alerts end to end through real processes: the environment of intake, aggregator and alerts
processes on the test's broker and database, an incident as a landlord system posts it, and a
webhook endpoint that can hold requests open so that a sender is caught mid-delivery."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.alerts import Received

ADMIN_TOKEN = "alerts-e2e-admin-token"


def service_env(*, kafka_bootstrap: str, database_url: str, data_dir: Path) -> dict[str, str]:
    """What every Vigie service process of the test needs."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": database_url,
        "VIGIE_ADMIN_TOKEN": ADMIN_TOKEN,
        "VIGIE_DATA_DIR": str(data_dir),
    }


def incident(
    territory_id: str,
    *,
    landlord_id: str,
    category: str = "PER-PHY",
    target: str = "personnel",
    severity: int = 3,
) -> dict[str, Any]:
    """A new incident that happened just now (docs/contract.md §3)."""
    event_id = uuid.uuid4()
    return {
        "event_id": str(event_id),
        "type": "incident.reported",
        "incident_id": f"E2E-{event_id.hex[:12]}",
        "revision": 1,
        "landlord_id": landlord_id,
        "territory_id": territory_id,
        "category": category,
        "occurred_at": datetime.now(UTC).isoformat(),
        "severity": severity,
        "target": target,
        "complaint": "aucune",
    }


class HoldingReceiver:
    """A webhook endpoint on 127.0.0.1. While `holding`, it reads each request and never
    answers it: the request stays open until the sender hangs up (or dies). Otherwise it
    answers 200 and keeps what it answered, so that a dedup key twice in `answered` is a
    notification delivered twice."""

    def __init__(self, *, secret: str, holding: bool = False) -> None:
        self.secret = secret
        self.holding = holding
        self.answered: list[Received] = []
        self.held_now: dict[int, str] = {}  # the requests held open now: number → dedup key
        self.held: list[str] = []  # every request held, by dedup key
        self._numbers = itertools.count()
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        """Listen; the URL to POST to."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hooks/vigie"

    async def close(self) -> None:
        """Drop the requests held open and stop listening."""
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def answered_keys(self) -> list[str]:
        """The dedup keys of the requests answered 200, in order."""
        return [r.headers.get("x-vigie-delivery", "") for r in self.answered]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            await reader.readline()  # the request line
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            key = headers.get("x-vigie-delivery", "")
            if self.holding:
                number = next(self._numbers)
                self.held_now[number] = key
                self.held.append(key)
                try:
                    with contextlib.suppress(ConnectionError):
                        await reader.read()  # until the sender hangs up
                finally:
                    del self.held_now[number]
                return
            expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            valid = hmac.compare_digest(headers.get("x-vigie-signature", ""), expected)
            self.answered.append(Received(headers, body, 200, valid))
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the sender went away mid-request
        finally:
            self._writers.discard(writer)
            writer.close()
