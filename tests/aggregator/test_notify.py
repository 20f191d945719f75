"""counters.changed.v1 messages from the (territory, day) pairs a batch changed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import asyncpg
import orjson
import pytest
from faststream.kafka import KafkaBroker

from tests.support.aggregator import read_topic
from vigie.contract import topics
from vigie_aggregator.notify import change_messages, publish_leftovers


def test_pairs_become_sorted_territories_with_sorted_unique_days() -> None:
    """Repeated pairs (one per category or landlord) are announced once, in order."""
    d1, d2 = date(2026, 11, 1), date(2026, 11, 2)
    pairs = [("QN2", d2), ("QN1", d2), ("QN1", d1), ("QN1", d2), ("QN2", d2)]
    at = datetime(2026, 11, 26, 1, 2, 3, 456000, tzinfo=UTC)
    (message,) = [orjson.loads(m) for m in change_messages(pairs, committed_at=at)]
    assert message == {
        "version": topics.COUNTERS_CHANGED_VERSION,
        "committed_at": "2026-11-26T01:02:03.456+00:00",
        "changes": [
            {"territory_id": "QN1", "days": ["2026-11-01", "2026-11-02"]},
            {"territory_id": "QN2", "days": ["2026-11-02"]},
        ],
    }


def test_many_territories_are_split_over_messages() -> None:
    """At most COUNTERS_CHANGED_MAX_TERRITORIES territories per message, none lost."""
    size = topics.COUNTERS_CHANGED_MAX_TERRITORIES
    pairs = [(f"QN{n:05}", date(2026, 1, 1)) for n in range(size * 2 + 1)]
    messages = [orjson.loads(m) for m in change_messages(pairs)]
    assert [len(m["changes"]) for m in messages] == [size, size, 1]
    announced = [c["territory_id"] for m in messages for c in m["changes"]]
    assert announced == sorted(territory for territory, _ in pairs)


def test_nothing_changed_announces_nothing() -> None:
    """No pair, no message."""
    assert change_messages([]) == []


@pytest.mark.connected
async def test_changes_a_crashed_process_left_are_published_by_another(
    pool: asyncpg.Pool, kafka_bootstrap: str
) -> None:
    """An outbox entry older than the leftover age (its process died between commit and
    publish) is announced on counters.changed.v1 and deleted; a fresh one is left to its own
    process."""
    d1 = date(2026, 11, 1)
    await pool.execute(
        "INSERT INTO counters_changed_outbox (territory_ids, days, created_at)"
        " VALUES ($1, $2, now() - interval '1 minute'), ($3, $4, now())",
        ["QN00101M", "QN00102M"],
        [d1, d1],
        ["QN00103M"],
        [d1],
    )
    broker = KafkaBroker(kafka_bootstrap, acks="all", enable_idempotence=False)
    await broker.start()
    try:
        assert await publish_leftovers(broker, pool) == 1
    finally:
        await broker.stop()
    (record,) = await read_topic(kafka_bootstrap, topics.COUNTERS_CHANGED, at_least=1, within=5)
    changes = orjson.loads(record.value)["changes"]
    assert changes == [
        {"territory_id": "QN00101M", "days": ["2026-11-01"]},
        {"territory_id": "QN00102M", "days": ["2026-11-01"]},
    ]
    left = await pool.fetch("SELECT territory_ids FROM counters_changed_outbox")
    assert [row["territory_ids"] for row in left] == [["QN00103M"]]
