"""Helpers of the intake tests: settings and an in-process intake, tokens, a reader of what
landed on `incidents.v1`, and valid incident events to start from."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord, TopicPartition

from vigie.contract import topics
from vigie_intake.app import create_app
from vigie_intake.settings import IntakeSettings

ADMIN_TOKEN = "test-admin-token"
Client = httpx.AsyncClient
KeyMaker = Callable[..., Awaitable[tuple[str, str]]]
KNOWN_TERRITORY = "QN09302M"
OTHER_TERRITORY = "QN00101M"


def intake_settings(*, database_url: str, bootstrap: str, **extra: object) -> IntakeSettings:
    """Settings for an intake under test."""
    settings = IntakeSettings(
        kafka_bootstrap_servers=bootstrap, database_url=database_url, admin_token=ADMIN_TOKEN
    )
    return settings.model_copy(update=extra)


@asynccontextmanager
async def running_intake(settings: IntakeSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The intake app with its lifespan running, and an HTTP client to it."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield client


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


ADMIN = bearer(ADMIN_TOKEN)


async def read_topic(
    bootstrap: str, *, expected: int, topic: str = topics.INCIDENTS, wait_s: float = 5.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on the topic, reading until `expected` arrived or `wait_s` passed (then
    also a short grace period, so that an unexpected extra record shows up)."""
    # Partitions assigned by hand: joining a consumer group costs seconds on the local broker.
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        partitions: set[int] = set()
        while not partitions and loop.time() < deadline:
            await consumer.topics()  # refreshes the metadata
            partitions = consumer.partitions_for_topic(topic) or set()
            if not partitions:
                await asyncio.sleep(0.1)
        if not partitions:
            return []
        consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
        await consumer.seek_to_beginning()
        grace: float | None = None
        while loop.time() < (grace or deadline):
            batch = await consumer.getmany(timeout_ms=200)
            for partition_records in batch.values():
                records.extend(partition_records)
            if len(records) >= expected and grace is None:
                grace = loop.time() + 0.5
    finally:
        await consumer.stop()
    return records


def incident(**overrides: Any) -> dict[str, Any]:
    """A valid `incident.reported` event as JSON, with a fresh event_id."""
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "type": "incident.reported",
        "incident_id": f"INC-{uuid.uuid4().hex[:10]}",
        "revision": 1,
        "landlord_id": "HLM-93",
        "territory_id": KNOWN_TERRITORY,
        "category": "BIE-TAG",
        "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "severity": 2,
        "target": "patrimoine",
        "complaint": "aucune",
    }
    event.update(overrides)
    return {k: v for k, v in event.items() if v is not None}
