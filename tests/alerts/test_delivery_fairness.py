"""Fair shares of the delivery slots: a dead endpoint with a backlog holds only its endpoint's cap
of them, against a real PostgreSQL, a black hole and a live receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from prometheus_client import CollectorRegistry

from tests.support.alerts import (
    BlackHole,
    WebhookReceiver,
    add_delivery,
    add_subscription,
    alert_payload,
    eventually,
)
from vigie.platform.db import create_pool
from vigie_alerts.delivery import DeliveryWorker
from vigie_alerts.delivery.repository import claim_due
from vigie_alerts.delivery.worker import per_endpoint_cap
from vigie_alerts.metrics import create_metrics
from vigie_alerts.settings import AlertsSettings

pytestmark = pytest.mark.connected

SECRET = "s3cret-of-the-subscriber"
T0 = datetime(2026, 3, 3, 13, 5, tzinfo=UTC)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh migrated database."""
    pool = await create_pool(database_url, min_size=1, max_size=6)
    yield pool
    await pool.close()


async def add_backlog(
    pool: asyncpg.Pool, subscription_id: str, *, count: int, channel: str, due: datetime
) -> list[int]:
    """`count` pending notifications of distinct changes for one subscription; their ids."""
    return [
        await add_delivery(
            pool,
            subscription_id=subscription_id,
            channel=channel,
            payload=alert_payload(dedup_key=f"{subscription_id}-{n}"),
            due=due + timedelta(milliseconds=n),
        )
        for n in range(count)
    ]


def test_the_cap_is_a_share_of_the_slots() -> None:
    """Four of the default 32 slots per endpoint; at least one however few the slots."""
    assert per_endpoint_cap(32) == 4
    assert per_endpoint_cap(1) == 1


async def test_a_claim_takes_no_more_than_each_endpoint_has_room_for(pool: asyncpg.Pool) -> None:
    """The oldest rows are one endpoint's backlog: the claim takes its remaining room and goes
    on to the others; an endpoint at its cap gets nothing; channels are separate endpoints."""
    await add_subscription(pool, "dead", url="http://127.0.0.1:9/", email="a@example.org")
    await add_subscription(pool, "live", url="http://127.0.0.1:9/")
    dead = await add_backlog(pool, "dead", count=20, channel="webhook", due=T0)
    mail = await add_backlog(pool, "dead", count=5, channel="email", due=T0 + timedelta(seconds=1))
    live = await add_backlog(
        pool, "live", count=5, channel="webhook", due=T0 + timedelta(seconds=2)
    )
    now = T0 + timedelta(seconds=10)
    async with pool.acquire() as conn:
        claimed = await claim_due(
            conn,
            now=now,
            limit=20,
            lease_s=60.0,
            per_endpoint=3,
            in_flight={("dead", "webhook"): 1},
        )
        # The oldest rows of each endpoint, as many as it has room for; each attempt counted.
        assert sorted(c.id for c in claimed) == sorted(dead[:2] + mail[:3] + live[:3])
        assert {c.attempt for c in claimed} == {1}
        full = {("dead", "webhook"): 3, ("dead", "email"): 3, ("live", "webhook"): 3}
        assert (
            await claim_due(conn, now=now, limit=20, lease_s=60.0, per_endpoint=3, in_flight=full)
            == []
        )


async def test_a_black_hole_backlog_leaves_slots_for_a_live_endpoint(
    pool: asyncpg.Pool, database_url: str
) -> None:
    """100 notifications to a black hole, older than 40 to a live endpoint: the black hole gets
    its cap of connections, every live notification arrives while they hang."""
    hole, receiver = BlackHole(), WebhookReceiver(secret=SECRET)
    hole_url, live_url = await hole.start(), await receiver.start()
    settings = AlertsSettings(
        database_url=database_url, delivery_timeout_s=60.0, retry_base_s=600.0
    )
    worker = DeliveryWorker(
        pool=pool, settings=settings, metrics=create_metrics(CollectorRegistry())
    )
    cap = per_endpoint_cap(settings.delivery_concurrency)
    try:
        await add_subscription(pool, "dead", url=hole_url, secret=SECRET)
        await add_subscription(pool, "live", url=live_url, secret=SECRET)
        now = datetime.now(UTC)
        hole_ids = await add_backlog(
            pool, "dead", count=100, channel="webhook", due=now - timedelta(seconds=60)
        )
        await add_backlog(pool, "live", count=40, channel="webhook", due=now)
        worker.start()

        async def live_delivered() -> bool:
            delivered = await pool.fetchval(
                "SELECT count(*) FROM alert_deliveries WHERE subscription_id = 'live'"
                " AND state = 'delivered'"
            )
            return bool(delivered == 40)

        await eventually(live_delivered, what="the live endpoint's 40 deliveries")
        assert hole.connections == cap
        attempts = await pool.fetch(
            "SELECT state, attempts, last_error FROM alert_deliveries WHERE id = ANY($1)",
            hole_ids,
        )
        # `cap` attempts hanging (claimed, no outcome yet); the rest never claimed.
        assert sorted(tuple(row) for row in attempts) == (
            [("pending", 0, None)] * (100 - cap) + [("pending", 1, None)] * cap
        )
        assert len(receiver.received) == 40
    finally:
        await hole.close()  # the black hole hangs up: its attempts end now, not in 60 s
        await worker.stop()
        await receiver.close()
    assert all(r.signature_valid for r in receiver.received)
