"""The real SQL path: batches applied to PostgreSQL, alone or by two concurrent writers, give
the reference counts; `rebuild` finds nothing to correct."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.aggregator.support import model_counters, random_scenario, stored_counters
from tests.aggregator.test_counting import revision_of
from vigie_aggregator.batches import apply_revisions
from vigie_aggregator.rebuild import rebuild_counters

pytestmark = pytest.mark.connected


async def reset(pool: asyncpg.Pool) -> None:
    """Empty the aggregator's tables between examples."""
    await pool.execute("TRUNCATE incidents, incident_counters, counters_changed_outbox")


async def apply_batches(pool: asyncpg.Pool, events: list[dict[str, Any]], size: int) -> None:
    """Apply events in consecutive batches of `size`."""
    for start in range(0, len(events), size):
        await apply_revisions(pool, [revision_of(e) for e in events[start : start + size]])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(0, 2**32), incidents=st.integers(1, 40), size=st.integers(1, 60))
async def test_batches_in_postgresql_give_the_model(
    pool: asyncpg.Pool, seed: int, incidents: int, size: int
) -> None:
    """Any shuffle with duplicates, in any batch size, then replayed: the model's counts."""
    await reset(pool)
    events = random_scenario(random.Random(seed), incidents=incidents, duplicate_ratio=0.3)
    await apply_batches(pool, events, size)
    await apply_batches(pool, events[: len(events) // 2], size)  # a redelivery
    assert await stored_counters(pool) == model_counters(events)


async def test_two_concurrent_writers_never_double_count(pool: asyncpg.Pool) -> None:
    """Two writers share the events (as two consumers share partitions) while corrections move
    incidents between them: the counts are still the model's."""
    rng = random.Random(11)
    events = random_scenario(rng, incidents=400, duplicate_ratio=0.2)
    halves: list[list[dict[str, Any]]] = [[], []]
    for event in events:
        halves[rng.randrange(2)].append(event)
    await asyncio.gather(*(apply_batches(pool, half, 37) for half in halves))
    assert await stored_counters(pool) == model_counters(events)


async def test_rebuild_equals_the_live_counters_and_repairs_drift(pool: asyncpg.Pool) -> None:
    """Rebuilding live counters changes nothing; rebuilding damaged ones restores them."""
    events = random_scenario(random.Random(3), incidents=200)
    await apply_batches(pool, events, 50)
    live = await stored_counters(pool)
    steps: list[tuple[int, int]] = []
    async with pool.acquire() as conn:
        result = await rebuild_counters(
            conn, on_progress=lambda done, total: steps.append((done, total))
        )
    assert result.differing == 0
    assert result.rows == len(live)
    assert await stored_counters(pool) == live
    assert steps[-1][0] == steps[-1][1] == result.incidents > 0
    await pool.execute(
        "UPDATE incident_counters SET incidents = incidents + 1"
        " WHERE ctid IN (SELECT ctid FROM incident_counters LIMIT 3)"
    )
    await pool.execute(
        "INSERT INTO incident_counters (territory_id, day, category, landlord_id, incidents)"
        " VALUES ('QN00101M', '2020-01-01', 'BIE-TAG', 'ghost', 5)"
    )
    async with pool.acquire() as conn:
        result = await rebuild_counters(conn)
    assert result.differing == 3 * 2 + 1
    assert await stored_counters(pool) == live


async def test_batch_outcomes_are_reported(pool: asyncpg.Pool) -> None:
    """Applied, duplicate and stale events are told apart, and changed pairs go to the outbox."""
    events = random_scenario(random.Random(5), incidents=20, duplicate_ratio=0)
    first = await apply_revisions(pool, [revision_of(e) for e in events])
    assert first.plan.applied == 20
    assert first.outbox_ids
    again = await apply_revisions(pool, [revision_of(e) for e in events])
    assert again.plan.applied == 0
    assert again.outbox_ids == []
    assert again.plan.duplicates + again.plan.stale == len(events)
    assert again.plan.duplicates == 20
