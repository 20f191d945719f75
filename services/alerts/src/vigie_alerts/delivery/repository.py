"""The notification outbox's SQL, run on a connection the caller holds."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from typing import Any, TypeAlias, TypedDict
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy


def sql(name: str) -> str:
    """The text of one of the package's SQL files."""
    return files("vigie_alerts").joinpath("sql", name).read_text(encoding="utf-8")


CLAIM = sql("delivery_claim.sql")
MARK_DELIVERED = sql("delivery_mark_delivered.sql")
MARK_FAILED = sql("delivery_mark_failed.sql")
RELEASE = sql("delivery_release.sql")
OUTBOX = sql("delivery_outbox.sql")
NEXT_DUE = sql("delivery_next_due.sql")
SUBSCRIPTION_STATE = sql("delivery_subscription_state.sql")

# A connection of its own or one borrowed from a pool.
Conn: TypeAlias = "asyncpg.Connection | PoolConnectionProxy[asyncpg.Record]"
# Where a notification goes: (subscription, channel).
Endpoint: TypeAlias = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Claimed:
    """A notification claimed for one attempt, with its recipient's address."""

    id: int
    subscription_id: str
    channel: str  # webhook | email
    dedup_key: str
    alert_id: UUID | None  # None: a silence summary
    payload: dict[str, Any]
    attempt: int  # this attempt's number, from 1
    changed_at: datetime
    url: str | None
    secret: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class Outbox:
    """The notifications waiting to be sent."""

    pending: int
    next_due: datetime | None


class SubscriptionState(TypedDict):
    """A subscription's delivery state, for GET /v1/subscriptions/{id}."""

    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    pending: int
    failed: int
    delivered: int


async def claim_due(
    conn: Conn,
    *,
    now: datetime,
    limit: int,
    lease_s: float,
    per_endpoint: int | None = None,
    in_flight: Mapping[Endpoint, int] | None = None,
) -> list[Claimed]:
    """Lease up to `limit` due notifications for one attempt each, counting the attempt; at
    most `per_endpoint` per endpoint, counting the caller's `in_flight` (None: no cap)."""
    busy = in_flight or {}
    rows = await conn.fetch(
        CLAIM,
        now,
        limit,
        lease_s,
        per_endpoint or limit,
        [subscription_id for subscription_id, _ in busy],
        [channel for _, channel in busy],
        list(busy.values()),
    )
    return [_claimed(row) for row in rows]


def _claimed(row: asyncpg.Record) -> Claimed:
    payload = row["payload"]  # jsonb arrives as text unless the pool registered a codec
    return Claimed(
        id=row["id"],
        subscription_id=row["subscription_id"],
        channel=row["channel"],
        dedup_key=row["dedup_key"],
        alert_id=row["alert_id"],
        payload=json.loads(payload) if isinstance(payload, str) else payload,
        attempt=row["attempts"],
        changed_at=row["changed_at"],
        url=row["url"],
        secret=row["secret"],
        email=row["email"],
    )


async def mark_delivered(conn: Conn, delivered: Sequence[tuple[int, datetime]]) -> None:
    """Record deliveries, (delivery id, when): never sent again; their subscriptions' last
    success moves."""
    if delivered:
        await conn.execute(MARK_DELIVERED, [d for d, _ in delivered], [at for _, at in delivered])


async def mark_failed(
    conn: Conn,
    *,
    delivery_id: int,
    attempt: int,
    at: datetime,
    error: str,
    retry_at: datetime | None,
) -> None:
    """Record a failed attempt: retried at `retry_at`, or failed for good when it is None."""
    await conn.execute(MARK_FAILED, delivery_id, attempt, at, error, retry_at)


async def release(conn: Conn, claimed: Sequence[Claimed], *, now: datetime) -> None:
    """Give back claimed notifications that were not sent: due at once, attempt uncounted."""
    if claimed:
        await conn.execute(RELEASE, [c.id for c in claimed], [c.attempt for c in claimed], now)


async def outbox(conn: Conn) -> Outbox:
    """How many notifications are pending and when the next falls due."""
    row = await conn.fetchrow(OUTBOX)
    assert row is not None  # an aggregate query always returns its row
    return Outbox(pending=row["pending"], next_due=row["next_due"])


async def next_due(conn: Conn, *, full: Sequence[Endpoint] = ()) -> datetime | None:
    """When the earliest pending notification of an endpoint not in `full` falls due."""
    due: datetime | None = await conn.fetchval(
        NEXT_DUE, [subscription_id for subscription_id, _ in full], [c for _, c in full]
    )
    return due


async def subscription_state(conn: Conn, subscription_id: str) -> SubscriptionState:
    """A subscription's latest outcomes and its notifications counted by state."""
    row = await conn.fetchrow(SUBSCRIPTION_STATE, subscription_id)
    assert row is not None  # the counts are an aggregate: always one row
    return SubscriptionState(
        last_success_at=row["last_success_at"],
        last_error_at=row["last_error_at"],
        last_error=row["last_error"],
        pending=row["pending"],
        failed=row["failed"],
        delivered=row["delivered"],
    )
