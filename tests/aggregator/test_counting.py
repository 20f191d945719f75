"""The counting rules alone: any order, duplicates and batching give the reference counts."""

from __future__ import annotations

import itertools
import random
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.aggregator.support import (
    Counters,
    model_counters,
    random_scenario,
    state_event,
    withdrawal,
)
from vigie.events import validate_event
from vigie_aggregator.counting import (
    COUNT_COLUMNS,
    IncidentKey,
    IncidentRevision,
    Plan,
    plan_batch,
    reduce_batch,
)
from vigie_aggregator.decode import to_revision


def revision_of(event: dict[str, Any]) -> IncidentRevision:
    """The revision the aggregator makes of a valid event."""
    return to_revision(validate_event(event, check_time=False))


class MemoryStore:
    """The `incidents` and `incident_counters` tables, in memory."""

    def __init__(self) -> None:
        self.incidents: dict[IncidentKey, IncidentRevision] = {}
        self.counters: Counters = {}

    def apply(self, revisions: list[IncidentRevision]) -> Plan:
        plan = plan_batch(reduce_batch(revisions), self.incidents)
        for state in [*plan.inserts, *plan.updates]:
            self.incidents[state.key] = state
        for key, delta in plan.deltas.items():
            row = self.counters.setdefault(key, dict.fromkeys(COUNT_COLUMNS, 0) | {"cost_eur": 0})
            for name, value in zip(COUNT_COLUMNS, delta.counts, strict=True):
                row[name] += value
            row["cost_eur"] += delta.cost_eur
            assert row["incidents"] >= 0
            if row["incidents"] == 0:
                assert all(value == 0 for value in row.values())
                del self.counters[key]
        return plan


def apply_in_batches(events: list[dict[str, Any]], cuts: list[int]) -> MemoryStore:
    """Apply the events in consecutive batches cut at the given positions."""
    store = MemoryStore()
    revisions = [revision_of(event) for event in events]
    bounds = [0, *sorted(cut % (len(revisions) + 1) for cut in cuts), len(revisions)]
    for start, end in itertools.pairwise(bounds):
        store.apply(revisions[start:end])
    return store


@settings(max_examples=400, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    incidents=st.integers(1, 25),
    cuts=st.lists(st.integers(0, 10_000), max_size=6),
    replay=st.booleans(),
)
def test_any_order_duplicates_and_batching_give_the_model(
    seed: int, incidents: int, cuts: list[int], replay: bool
) -> None:
    """Shuffled reports, corrections, withdrawals and duplicates count as the model says."""
    rng = random.Random(seed)
    events = random_scenario(rng, incidents=incidents, duplicate_ratio=0.3)
    if replay:  # a crash re-delivers a prefix of what was already applied
        events += events[: rng.randrange(len(events) + 1)]
    store = apply_in_batches(events, cuts)
    assert store.counters == model_counters(events)


def test_an_older_revision_arriving_late_changes_nothing() -> None:
    """Revision 2 then revision 1: revision 2 counts, and the late one is stale."""
    store = MemoryStore()
    newer = state_event(incident_id="A", revision=2, category="ENV-DEP")
    older = state_event(incident_id="A", revision=1, category="BIE-TAG")
    store.apply([revision_of(newer)])
    plan = store.apply([revision_of(older)])
    assert (plan.applied, plan.stale, plan.duplicates) == (0, 1, 0)
    assert [key[2] for key in store.counters] == ["ENV-DEP"]


def test_a_correction_moves_the_contribution() -> None:
    """Correcting the territory empties the old row and fills the new one."""
    store = MemoryStore()
    store.apply([revision_of(state_event(incident_id="A", revision=1, territory_id="QN00101M"))])
    plan = store.apply(
        [revision_of(state_event(incident_id="A", revision=2, territory_id="QN00102M"))]
    )
    assert [key[0] for key in store.counters] == ["QN00102M"]
    assert set(plan.changed_days()) == {"QN00101M", "QN00102M"}


def test_withdrawal_removes_and_a_later_revision_restores() -> None:
    """Withdrawn at revision 2 counts nowhere; a correction at revision 3 counts again."""
    store = MemoryStore()
    store.apply([revision_of(state_event(incident_id="A", revision=1))])
    store.apply([revision_of(withdrawal(incident_id="A", revision=2))])
    assert store.counters == {}
    store.apply([revision_of(state_event(incident_id="A", revision=3))])
    assert len(store.counters) == 1


def test_duplicates_and_ties_are_told_apart() -> None:
    """The same event_id is a duplicate; another event at the same revision loses or wins by
    event_id, the same way whatever the order."""
    low, high = sorted(str(uuid.uuid4()) for _ in range(2))
    first = state_event(incident_id="A", revision=1, event_id=low, category="BIE-TAG")
    second = state_event(incident_id="A", revision=1, event_id=high, category="ENV-DEP")
    reduced = reduce_batch([revision_of(e) for e in (first, first, second)])
    assert (reduced.duplicates, reduced.stale) == (1, 1)
    assert reduced.winners[("L1", "A")].event_id == uuid.UUID(high)
    reduced = reduce_batch([revision_of(e) for e in (second, first)])
    assert reduced.winners[("L1", "A")].event_id == uuid.UUID(high)


def test_a_replayed_batch_is_a_no_op() -> None:
    """Applying the same batch twice writes nothing the second time."""
    store = MemoryStore()
    batch = [revision_of(e) for e in random_scenario(random.Random(7), incidents=30)]
    store.apply(batch)
    before = {key: dict(row) for key, row in store.counters.items()}
    plan = store.apply(batch)
    assert plan.applied == 0
    assert not plan.deltas
    assert store.counters == before
