"""The real SQL path: batches applied to PostgreSQL, alone or by two concurrent writers, give
the reference counts; `rebuild` finds nothing to correct."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.aggregator import (
    apply,
    apply_in_batches,
    model_counters,
    random_scenario,
    state_event,
    stored_counters,
)
from vigie.contract.events import validate_event
from vigie_aggregator.batches import apply_events, apply_in_transaction
from vigie_aggregator.rebuild import rebuild_counters

pytestmark = pytest.mark.connected


async def reset(pool: asyncpg.Pool) -> None:
    """Empty the aggregator's tables between examples."""
    await pool.execute("TRUNCATE incidents, incident_counters, counters_changed_outbox")


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(0, 2**32),
    incidents=st.integers(1, 30),
    cuts=st.lists(st.integers(0, 10_000), max_size=6),
    replay=st.booleans(),
)
async def test_any_order_duplicates_and_batching_give_the_model(
    pool: asyncpg.Pool, seed: int, incidents: int, cuts: list[int], replay: bool
) -> None:
    """Shuffled reports, corrections, withdrawals and duplicates, cut into any batches, with a
    crash's redelivery of a prefix: PostgreSQL holds the model's counts, and no empty row."""
    await reset(pool)
    rng = random.Random(seed)
    events = random_scenario(rng, incidents=incidents, duplicate_ratio=0.3)
    if replay:
        events += events[: rng.randrange(len(events) + 1)]
    bounds = [0, *sorted(cut % (len(events) + 1) for cut in cuts), len(events)]
    for start, end in itertools.pairwise(bounds):
        await apply(pool, events[start:end])
    assert await stored_counters(pool) == model_counters(events)


async def test_two_concurrent_writers_never_double_count(pool: asyncpg.Pool) -> None:
    """Two writers share the events (as two consumers share partitions) while corrections move
    incidents between them: the counts are still the model's."""
    rng = random.Random(11)
    events = random_scenario(rng, incidents=400, duplicate_ratio=0.2)
    halves: list[list[dict[str, Any]]] = [[], []]
    for event in events:
        halves[rng.randrange(2)].append(event)
    await asyncio.gather(*(apply_in_batches(pool, half, 37) for half in halves))
    assert await stored_counters(pool) == model_counters(events)


async def test_rebuild_equals_the_live_counters_and_repairs_drift(pool: asyncpg.Pool) -> None:
    """Rebuilding live counters changes nothing; rebuilding damaged ones restores them."""
    events = random_scenario(random.Random(3), incidents=200)
    await apply_in_batches(pool, events, 50)
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
    first = await apply(pool, events)
    assert first.applied == 20
    assert first.outbox
    again = await apply(pool, events)
    assert again.applied == 0
    assert again.outbox == []
    assert again.duplicates + again.stale == len(events)
    assert again.duplicates == 20


async def race(
    pool: asyncpg.Pool,
    caplog: pytest.LogCaptureFixture,
    first: dict[str, Any],
    second: dict[str, Any],
) -> None:
    """Writer B applies `first` and holds its transaction open while writer A applies
    `second` to the same incident; B commits while A waits on B's row, and A takes the path
    for incidents changed meanwhile."""
    caplog.set_level(logging.INFO, logger="vigie_aggregator.batches")
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        await apply_in_transaction(conn, [validate_event(first, check_time=False)])
        writer_a = asyncio.create_task(apply(pool, [second]))
        await asyncio.sleep(0.5)  # A has read its snapshot and waits on B's row lock
        assert not writer_a.done()
        await transaction.commit()
    await writer_a
    assert "1 incidents changed by another writer" in caplog.text


async def test_an_incident_inserted_by_another_writer_meanwhile_counts_once(
    pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    """Both writers see a new incident: the one that loses the insert applies its event again
    against the winner's committed state, moving the contribution instead of adding one."""
    report = state_event(incident_id="A", revision=1, territory_id="QN00101M")
    correction = state_event(incident_id="A", revision=2, territory_id="QN00102M")
    await race(pool, caplog, report, correction)
    assert await stored_counters(pool) == model_counters([report, correction])


async def test_a_state_replaced_by_another_writer_meanwhile_counts_once(
    pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    """Writer A read revision 1 as the stored state, but B replaced it with revision 2 before
    A's update: A's revision 3 must move the contribution from revision 2's row."""
    report = state_event(incident_id="A", revision=1, territory_id="QN00101M")
    await apply(pool, [report])
    second = state_event(incident_id="A", revision=2, territory_id="QN00102M")
    third = state_event(incident_id="A", revision=3, territory_id="QN00103M")
    await race(pool, caplog, second, third)
    assert await stored_counters(pool) == model_counters([report, second, third])


async def test_an_event_postgresql_refuses_is_left_out_and_the_rest_counted(
    pool: asyncpg.Pool,
) -> None:
    """A value that got past validation but no column can hold (built here without
    validation) must not stall the batch: it is refused with PostgreSQL's reason, by its
    position, and the other events count."""
    good = [state_event(incident_id=f"G{n}", revision=1) for n in range(5)]
    events = [validate_event(event, check_time=False) for event in good]
    unstorable = events[0].model_copy(update={"incident_id": "BAD", "revision": 2**40})
    outcome = await apply_events(pool, [*events[:2], unstorable, *events[2:]])
    ((index, message),) = outcome.refused
    assert index == 2
    assert "out of range" in message
    assert outcome.applied == 5
    assert await stored_counters(pool) == model_counters(good)
