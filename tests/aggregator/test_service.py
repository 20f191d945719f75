"""The real aggregator process against the real broker and database."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import asyncpg
import httpx
import orjson
import pytest

from tests.support.aggregator import (
    event_bytes,
    event_key,
    eventually,
    model_counters,
    produce,
    random_scenario,
    read_topic,
    state_event,
    stored_counters,
)
from tests.support.aggregator_process import AggregatorProcess, service_env
from vigie.contract import topics

pytestmark = [pytest.mark.connected, pytest.mark.e2e]


async def counters_match(conn: asyncpg.Connection, expected: object) -> bool:
    """Whether the stored counters equal the expected ones."""
    return await stored_counters(conn) == expected


async def test_counts_rejects_to_the_dlq_and_announces_changes(
    kafka_bootstrap: str, database_url: str, db: asyncpg.Connection, tmp_path: Path
) -> None:
    """Valid events are counted exactly; raw garbage from a plain client goes to the DLQ with
    the §6 headers without stopping its partition; the changed pairs are announced."""
    events = random_scenario(random.Random(1), incidents=300)
    garbage: list[tuple[bytes | None, bytes]] = [
        (b"QN00101M", b"{not json"),
        (b"QN00101M", orjson.dumps({**state_event(incident_id="X", revision=1), "severity": 7})),
        (
            b"QN99999X",
            orjson.dumps(state_event(incident_id="Y", revision=1, territory_id="QN99999X")),
        ),
        (None, b"\xff\xfe binary"),
    ]
    messages: list[tuple[bytes | None, bytes]] = [(event_key(e), event_bytes(e)) for e in events]
    messages[100:100] = garbage[:2]
    messages[200:200] = garbage[2:]
    aggregator = AggregatorProcess(
        env=service_env(kafka_bootstrap, database_url, tmp_path), log_dir=tmp_path / "logs"
    )
    aggregator.start()
    try:
        await produce(kafka_bootstrap, messages)
        expected = model_counters(events)
        assert await eventually(lambda: counters_match(db, expected), within=60)

        dead = await read_topic(kafka_bootstrap, topics.INCIDENTS_DLQ, at_least=len(garbage))
        assert {(r.key, r.value) for r in dead} == set(garbage)
        for record in dead:
            headers = dict(record.headers)
            assert headers["source-topic"] == topics.INCIDENTS.encode()
            assert int(headers["source-partition"]) in range(4)
            assert int(headers["source-offset"]) >= 0
            assert headers["error"]
        errors = {dict(r.headers)["error"].decode() for r in dead}
        assert any("invalid JSON" in e for e in errors)
        assert any(e.startswith("severity") for e in errors)
        assert any("unknown territory" in e for e in errors)

        changes = await read_topic(kafka_bootstrap, topics.COUNTERS_CHANGED, at_least=1)
        announced = {
            (change["territory_id"], day)
            for record in changes
            for change in orjson.loads(record.value)["changes"]
            for day in change["days"]
        }
        assert {(key[0], key[1].isoformat()) for key in expected} <= announced
        assert await db.fetchval("SELECT count(*) FROM counters_changed_outbox") == 0

        assert aggregator.metric("vigie_aggregator_events_dlq_total") == len(garbage)
        assert aggregator.metric("vigie_aggregator_events_applied_total") > 0
        assert aggregator.metric("vigie_aggregator_events_duplicate_total") > 0
        async with httpx.AsyncClient() as client:
            ready = await client.get(f"{aggregator.url}/health/ready", timeout=5)
        assert ready.status_code == 200
    finally:
        aggregator.stop()


async def test_two_processes_share_the_partitions_without_double_counting(
    kafka_bootstrap: str, database_url: str, db: asyncpg.Connection, tmp_path: Path
) -> None:
    """A second member joins mid-stream and later leaves: both work, counts stay exact."""
    env = service_env(kafka_bootstrap, database_url, tmp_path)
    first = AggregatorProcess(env=env, log_dir=tmp_path / "logs", replica=0)
    second = AggregatorProcess(env=env, log_dir=tmp_path / "logs", replica=1)
    events = random_scenario(random.Random(2), incidents=3000)
    messages = [(event_key(e), event_bytes(e)) for e in events]
    third = len(messages) // 3
    first.start()
    try:
        await produce(kafka_bootstrap, messages[:third])
        second.start()
        await produce(kafka_bootstrap, messages[third : 2 * third], rate_per_s=1000)
        assert await eventually(lambda: _applied_some(second), within=30)
        second.stop()  # a clean leave: its partitions go back to the first
        await produce(kafka_bootstrap, messages[2 * third :])
        expected = model_counters(events)
        assert await eventually(lambda: counters_match(db, expected), within=60)
        assert first.metric("vigie_aggregator_events_applied_total") > 0
    finally:
        second.stop()
        first.stop()


async def _applied_some(process: AggregatorProcess) -> bool:
    value = await asyncio.to_thread(process.metric, "vigie_aggregator_events_applied_total")
    return value > 0
