"""Real endpoints for the delivery tests: a webhook receiver that checks signatures, a black hole
that accepts connections and never answers, an SMTP inbox; and rows written with plain SQL."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

import asyncpg

WAIT_S = 15.0  # for what should take milliseconds: only a broken worker waits this long


@dataclass(frozen=True)
class Received:
    """One request the receiver answered."""

    headers: dict[str, str]  # names in lower case
    body: bytes
    status: int
    signature_valid: bool

    def json(self) -> Any:
        """The body, decoded."""
        return json.loads(self.body)


class WebhookReceiver:
    """An HTTP/1.1 server on 127.0.0.1 answering POSTs with scripted statuses (then 200)."""

    def __init__(self, *, secret: str, statuses: Iterable[int] = ()) -> None:
        self.secret = secret
        self.statuses = list(statuses)
        self.received: list[Received] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        """Listen; the URL to POST to."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hooks/vigie"

    async def close(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readline()  # the request line
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            status = self.statuses.pop(0) if self.statuses else 200
            expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            valid = hmac.compare_digest(headers.get("x-vigie-signature", ""), expected)
            self.received.append(Received(headers, body, status, valid))
            head = f"HTTP/1.1 {status} Scripted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            writer.write(head.encode())
            await writer.drain()
        finally:
            writer.close()


class BlackHole:
    """Accepts TCP connections and never answers until closed."""

    def __init__(self) -> None:
        self.connections = 0
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None
        self._closed = asyncio.Event()

    async def start(self) -> str:
        """Listen; a URL that will never answer."""
        self._server = await asyncio.start_server(self._swallow, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hooks/never"

    async def close(self) -> None:
        """Drop the connections held open and stop listening."""
        self._closed.set()
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _swallow(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        await self._closed.wait()


@dataclass
class Inbox:
    """An aiosmtpd handler keeping what the SMTP server accepted."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message (aiosmtpd calls this in its own thread)."""
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)  # policy.default builds EmailMessage
        self.messages.append(message)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the time forward."""
        self.now += timedelta(seconds=seconds)


def alert_payload(**changes: Any) -> dict[str, Any]:
    """A realistic alert-change payload (rate metric, escalated to critique) with changes."""
    payload: dict[str, Any] = {
        "alert_id": "6f1c0d3e-8a44-4d8e-9a52-2f2b8a7f0c11",
        "rule_id": "gsup-personnel",
        "territory_id": "QN00102M",
        "state": "open",
        "level": "critique",
        "previous_level": "alerte",
        "value": 12.4,
        "threshold": 10.0,
        "window_days": 30,
        "opened_at": "2026-03-02T07:15:00+00:00",
        "changed_at": "2026-03-03T13:05:00+00:00",
        "dedup_key": "6f1c0d3e-8a44-4d8e-9a52-2f2b8a7f0c11:2",
        "kind": "escalated",
        "tier": "normal",
        "rule_name": "Atteintes aux personnels",
        "metric": "rate_per_1000_dwellings",
        "count": 14,
        "territory_name": "Croix Blanche",
        "top_categories": [
            {"code": "ATT_VERBALE", "label": "Agression verbale", "count": 9},
            {"code": "MENACE", "label": "Menaces", "count": 3},
        ],
        "dashboard_url": "http://127.0.0.1:8084/#territory=QN00102M",
    }
    payload.update(changes)
    return payload


async def add_subscription(
    db: asyncpg.Pool,
    subscription_id: str,
    *,
    url: str | None = None,
    secret: str | None = None,
    email: str | None = None,
) -> None:
    """Insert a subscription."""
    await db.execute(
        "INSERT INTO alert_subscriptions (subscription_id, url, secret, email) "
        "VALUES ($1, $2, $3, $4)",
        subscription_id,
        url,
        secret,
        email,
    )


async def add_delivery(
    db: asyncpg.Pool,
    *,
    subscription_id: str,
    channel: str,
    payload: dict[str, Any],
    due: datetime | None = None,
    alert_id: str | None = None,
) -> int:
    """Insert a pending notification as the evaluator does; its id."""
    due = due or datetime.now(UTC)
    is_alert = payload.get("kind") != "silence_summary"
    dedup_key = payload["dedup_key"] if is_alert else f"silence:{payload['silence_id']}"
    return cast(
        int,
        await db.fetchval(
            "INSERT INTO alert_deliveries (subscription_id, channel, dedup_key, alert_id, payload,"
            " next_attempt_at, changed_at) VALUES ($1, $2, $3, $4::uuid, $5::jsonb, $6, $6)"
            " RETURNING id",
            subscription_id,
            channel,
            dedup_key,
            alert_id or (payload["alert_id"] if is_alert else None),
            json.dumps(payload),
            due,
        ),
    )


async def delivery(db: asyncpg.Pool, delivery_id: int) -> asyncpg.Record:
    """A notification's row."""
    row = await db.fetchrow("SELECT * FROM alert_deliveries WHERE id = $1", delivery_id)
    assert row is not None
    return row


async def eventually(check: Callable[[], Awaitable[bool]], *, what: str) -> float:
    """Wait until `check` holds, at most a generous WAIT_S; the seconds it took."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > WAIT_S:
            raise AssertionError(f"{what} did not happen within {WAIT_S} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def state_of(db: asyncpg.Pool, delivery_id: int) -> str:
    """A notification's state."""
    return str((await delivery(db, delivery_id))["state"])
