"""The real aggregator process against the real broker and database."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
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
    """Valid events are counted exactly; raw garbage and hostile records from a plain client
    (see `hostile_records`) go to the DLQ with the §6 headers without stopping their partition
    (a valid event produced after them on the same key is counted) and without leaving any
    trace in the counters; the changed pairs are announced."""
    events = random_scenario(random.Random(1), incidents=300)
    # Produced after every hostile record, on the key most of them share: it must be counted.
    last = state_event(incident_id="AFTER-HOSTILE", revision=1, territory_id="QN00101M")
    events.append(last)
    garbage: list[tuple[bytes | None, bytes | None]] = [
        (b"QN00101M", b"{not json"),
        (b"QN00101M", orjson.dumps({**state_event(incident_id="X", revision=1), "severity": 7})),
        (
            b"QN99999X",
            orjson.dumps(state_event(incident_id="Y", revision=1, territory_id="QN99999X")),
        ),
        (None, b"\xff\xfe binary"),
        *hostile_records(),
    ]
    messages: list[tuple[bytes | None, bytes | None]] = [
        (event_key(e), event_bytes(e)) for e in events
    ]
    messages[100:100] = garbage[:2]
    messages[200:200] = garbage[2:4]
    messages[-1:-1] = garbage[4:]  # all of them before the last valid event
    aggregator = AggregatorProcess(
        env=service_env(kafka_bootstrap, database_url, tmp_path), log_dir=tmp_path / "logs"
    )
    aggregator.start()
    try:
        await produce(kafka_bootstrap, messages)
        expected = model_counters(events)
        assert await eventually(lambda: counters_match(db, expected), within=60)
        # Nothing of a rejected record is half-applied: no incident row either.
        stored = await db.fetchval("SELECT count(*) FROM incidents WHERE incident_id LIKE 'H-%'")
        assert stored == 0
        assert (
            await db.fetchval("SELECT count(*) FROM incidents WHERE incident_id = 'AFTER-HOSTILE'")
            == 1
        )

        dead = await read_topic(kafka_bootstrap, topics.INCIDENTS_DLQ, at_least=len(garbage))
        # A record without a value (a tombstone) is copied with an empty one.
        assert Counter((r.key, r.value or b"") for r in dead) == Counter(
            (key, value or b"") for key, value in garbage
        )
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


def hostile_records() -> list[tuple[bytes | None, bytes | None]]:
    """Records a broken or hostile producer could write on incidents.v1, each one a reason to
    reject it: wrong types, missing fields, an unknown version or type, a 1 MB value, binary
    garbage, no key or no value, JSON that is not an object, deeply nested JSON, values the
    storage cannot hold, an event from far in the future. Most share the QN00101M key, so they
    sit on one partition before a valid event."""

    def event(**changes: object) -> dict[str, object]:
        data = state_event(incident_id=f"H-{len(changes)}", revision=1, territory_id="QN00101M")
        data.update(changes)
        return {k: v for k, v in data.items() if v is not None}

    key = b"QN00101M"
    # 300 nested arrays as the description (deeper than orjson writes: spliced by hand).
    nested = orjson.dumps(event())[:-1] + b',"description":' + b"[" * 300 + b"1" + b"]" * 300 + b"}"
    return [
        # wrong types (the contract's models are strict: no coercion)
        (key, orjson.dumps(event(severity="2"))),
        (key, orjson.dumps(event(revision="1"))),
        (key, orjson.dumps(event(occurred_at=1_700_000_000))),
        (key, orjson.dumps(event(territory_id=["QN00101M"]))),
        (key, orjson.dumps(event(cost_eur="12,50"))),
        # missing fields
        (key, orjson.dumps(event(category=None))),
        (key, orjson.dumps(event(event_id=None))),
        (key, orjson.dumps(event(type=None))),
        (key, b"{}"),
        # an unknown version, an unknown type
        (key, orjson.dumps(event(version=2))),
        (key, orjson.dumps(event(type="incident.reported.v2"))),
        # a 1 MB value (a description 500 times too long)
        (key, orjson.dumps(event(description="x" * 1_000_000))),
        # binary garbage, with and without a key; an empty value; no value at all
        (key, random.Random(13).randbytes(4096)),
        (None, random.Random(14).randbytes(512)),
        (key, b""),
        (key, None),
        # JSON that is not an object
        (key, b"[]"),
        (key, b"null"),
        (key, b"42"),
        (key, b'"incident.reported"'),
        # deeply nested JSON: beyond the parser's depth, and inside an event
        (key, b"[" * 100_000 + b"]" * 100_000),
        (key, nested),
        # valid JSON the storage cannot hold: NUL in text, a revision beyond int4
        (key, orjson.dumps(event(landlord_id="L\x00"))),
        (key, orjson.dumps(event(revision=2**31))),
        (key, orjson.dumps(event(cost_eur=1e15))),
        # a valid shape from the future (1 day after it was produced)
        (key, orjson.dumps(event(occurred_at=(datetime.now(UTC) + timedelta(days=1)).isoformat()))),
        # a valid event with a territory nobody knows, under a hostile key
        (b"\x00" * 64, orjson.dumps(event(territory_id="QN99999Z"))),
    ]
