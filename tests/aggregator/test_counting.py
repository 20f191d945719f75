"""The counting rules, applied by the aggregator's SQL to a real PostgreSQL: which event wins
for an incident, and how its contribution moves between counter rows."""

from __future__ import annotations

import random
import uuid

import asyncpg
import pytest

from tests.support.aggregator import (
    apply,
    random_scenario,
    state_event,
    stored_counters,
    withdrawal,
)

pytestmark = pytest.mark.connected


async def test_an_older_revision_arriving_late_changes_nothing(pool: asyncpg.Pool) -> None:
    """Revision 2 then revision 1: revision 2 counts, and the late one is stale."""
    newer = state_event(incident_id="A", revision=2, category="ENV-DEP")
    older = state_event(incident_id="A", revision=1, category="BIE-TAG")
    await apply(pool, [newer])
    late = await apply(pool, [older])
    assert (late.applied, late.stale, late.duplicates) == (0, 1, 0)
    assert late.outbox == []
    assert [key[2] for key in await stored_counters(pool)] == ["ENV-DEP"]


async def test_a_correction_moves_the_contribution(pool: asyncpg.Pool) -> None:
    """Correcting the territory empties (and deletes) the old row and fills the new one; both
    territories are announced."""
    await apply(pool, [state_event(incident_id="A", revision=1, territory_id="QN00101M")])
    moved = await apply(pool, [state_event(incident_id="A", revision=2, territory_id="QN00102M")])
    assert [key[0] for key in await stored_counters(pool)] == ["QN00102M"]
    (entry,) = moved.outbox
    assert sorted(territory for territory, _ in entry.changes) == ["QN00101M", "QN00102M"]


async def test_a_correction_in_the_same_row_moves_the_breakdown(pool: asyncpg.Pool) -> None:
    """Same row, new severity: the incident still counts once, under its new severity."""
    await apply(pool, [state_event(incident_id="A", revision=1, severity=1, cost_eur=10.0)])
    await apply(pool, [state_event(incident_id="A", revision=2, severity=4, cost_eur=2.5)])
    (row,) = (await stored_counters(pool)).values()
    assert (row["incidents"], row["severity_1"], row["severity_4"]) == (1, 0, 1)
    assert str(row["cost_eur"]) == "2.50"


async def test_withdrawal_removes_and_a_later_revision_restores(pool: asyncpg.Pool) -> None:
    """Withdrawn at revision 2 counts nowhere; a correction at revision 3 counts again."""
    await apply(pool, [state_event(incident_id="A", revision=1)])
    await apply(pool, [withdrawal(incident_id="A", revision=2)])
    assert await stored_counters(pool) == {}
    await apply(pool, [state_event(incident_id="A", revision=3)])
    assert len(await stored_counters(pool)) == 1


async def test_duplicates_and_ties_are_told_apart(pool: asyncpg.Pool) -> None:
    """The same event_id is a duplicate; another event at the same revision loses or wins by
    event_id, the same way whatever the order."""
    low, high = sorted(str(uuid.uuid4()) for _ in range(2))
    first = state_event(incident_id="A", revision=1, event_id=low, category="BIE-TAG")
    second = state_event(incident_id="A", revision=1, event_id=high, category="ENV-DEP")
    outcome = await apply(pool, [first, first, second])
    assert (outcome.applied, outcome.duplicates, outcome.stale) == (1, 1, 1)
    assert [key[2] for key in await stored_counters(pool)] == ["ENV-DEP"]
    await pool.execute("TRUNCATE incidents, incident_counters")
    await apply(pool, [second])
    outcome = await apply(pool, [first])
    assert (outcome.applied, outcome.stale) == (0, 1)
    assert [key[2] for key in await stored_counters(pool)] == ["ENV-DEP"]


async def test_a_replayed_batch_is_a_no_op(pool: asyncpg.Pool) -> None:
    """Applying the same batch twice writes nothing the second time and announces nothing."""
    batch = random_scenario(random.Random(7), incidents=30)
    await apply(pool, batch)
    before = await stored_counters(pool)
    again = await apply(pool, batch)
    assert again.applied == 0
    assert again.outbox == []
    assert await stored_counters(pool) == before
