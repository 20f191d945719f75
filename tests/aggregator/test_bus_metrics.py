"""The aggregator's /metrics carries FastStream's publish metrics for what it publishes: DLQ
records and counters.changed messages."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.aggregator import event_bytes, event_key, eventually, produce, state_event
from vigie.contract import topics
from vigie_aggregator.app import create_app
from vigie_aggregator.settings import AggregatorSettings

pytestmark = pytest.mark.connected

Samples = dict[tuple[str, str | None, str | None], float]


@asynccontextmanager
async def running_aggregator(settings: AggregatorSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The aggregator app with its lifespan (and consumer loop) running, and a client to it."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://aggregator") as client:
            yield client


async def samples(client: httpx.AsyncClient) -> Samples:
    """Every sample of /metrics by (name, destination, status)."""
    text = (await client.get("/metrics")).text
    return {
        (s.name, s.labels.get("destination"), s.labels.get("status")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_dlq_records_and_change_messages_are_counted_by_faststream(
    kafka_bootstrap: str, database_url: str
) -> None:
    settings = AggregatorSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=database_url,
        group_id=f"test-{uuid.uuid4()}",
        session_timeout_ms=6000,
    )
    event = state_event(incident_id="M1", revision=1)
    published = ("faststream_published_messages_total", topics.INCIDENTS_DLQ, "success")
    changed = ("faststream_published_messages_total", topics.COUNTERS_CHANGED, "success")
    dead = ("vigie_aggregator_events_dlq_total", None, None)
    async with running_aggregator(settings) as client:
        await produce(
            kafka_bootstrap, [(b"QN00101M", b"{not json"), (event_key(event), event_bytes(event))]
        )
        seen: Samples = {}

        async def counted() -> bool:
            seen.update(await samples(client))
            # Both count the same records: each DLQ record once, acknowledged.
            return seen.get(published, 0) >= 1 and seen[published] == seen.get(dead)

        assert await eventually(counted, within=60), seen
        assert await eventually(lambda: _has(client, changed), within=30)
        text = (await client.get("/metrics")).text
    assert 'app_name="vigie-aggregator"' in text
    assert "faststream_published_messages_duration_seconds_count" in text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            assert sample.labels.get("status") != "error", sample


async def _has(client: httpx.AsyncClient, key: tuple[str, str | None, str | None]) -> bool:
    return (await samples(client)).get(key, 0) >= 1
