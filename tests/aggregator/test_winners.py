"""The winner rule on its own, no broker and no database: in a batch, each incident keeps its
highest (revision, event_id) event whatever the arrival order; the others are duplicates or
stale."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.support.aggregator import state_event, withdrawal
from vigie.contract.events import validate_event
from vigie_aggregator.decode import Event
from vigie_aggregator.winners import pick_winners


def event(data: dict[str, Any]) -> Event:
    """A validated event from JSON-ready data."""
    return validate_event(data, check_time=False)


def eid(number: int) -> str:
    """A UUID whose order follows `number`."""
    return str(uuid.UUID(int=number))


def test_the_highest_revision_wins_whatever_the_order() -> None:
    """Revision 3 arriving first still beats revisions 1 and 2; those two are stale."""
    r1, r2, r3 = (event(state_event(incident_id="A", revision=r)) for r in (1, 2, 3))
    winners = pick_winners([r3, r1, r2])
    assert winners.events == [r3]
    assert (winners.duplicates, winners.stale) == (0, 2)


def test_equal_revisions_are_decided_by_the_event_id() -> None:
    """Two events of the same revision: the greater event_id wins, in either order."""
    low = event(state_event(incident_id="A", revision=2, event_id=eid(1), category="BIE-TAG"))
    high = event(state_event(incident_id="A", revision=2, event_id=eid(2), category="ENV-DEP"))
    assert pick_winners([low, high]).events == [high]
    assert pick_winners([high, low]).events == [high]


def test_a_withdrawal_wins_like_any_revision() -> None:
    """A later withdrawal beats the report; an older one does not beat a correction."""
    report = event(state_event(incident_id="A", revision=1))
    withdrawn = event(withdrawal(incident_id="A", revision=2))
    correction = event(state_event(incident_id="A", revision=3))
    assert pick_winners([withdrawn, report]).events == [withdrawn]
    assert pick_winners([correction, withdrawn, report]).events == [correction]


def test_a_repeated_event_is_a_duplicate() -> None:
    """The same event_id twice (a redelivery) counts once, as a duplicate."""
    report = event(state_event(incident_id="A", revision=1))
    winners = pick_winners([report, report, report])
    assert winners.events == [report]
    assert (winners.duplicates, winners.stale) == (2, 0)


def test_incidents_are_told_apart_by_landlord() -> None:
    """The same incident_id from two landlords is two incidents, each with its winner."""
    first = event(state_event(incident_id="A", revision=1, landlord_id="L1"))
    second = event(state_event(incident_id="A", revision=1, landlord_id="L2"))
    winners = pick_winners([first, second])
    assert winners.events == [first, second]
    assert (winners.duplicates, winners.stale) == (0, 0)


def test_an_empty_batch_has_no_winner() -> None:
    """Nothing in, nothing out."""
    winners = pick_winners([])
    assert (winners.events, winners.duplicates, winners.stale) == ([], 0, 0)


def _distinct_events() -> list[Event]:
    """Two landlords × three incidents × three revisions, each revision twice under different
    event_ids (a sender's retry with a new id); every fifth one a withdrawal."""
    events: list[Event] = []
    for landlord in ("L1", "L2"):
        for incident in ("I1", "I2", "I3"):
            for revision in (1, 2, 3):
                for _ in range(2):
                    number = len(events) + 1
                    data = (
                        withdrawal(incident_id=incident, revision=revision, landlord_id=landlord)
                        if number % 5 == 0
                        else state_event(
                            incident_id=incident, revision=revision, landlord_id=landlord
                        )
                    )
                    events.append(event({**data, "event_id": eid(number)}))
    return events


@given(st.lists(st.sampled_from(_distinct_events()), max_size=40))
def test_winners_match_the_reference_rule(batch: list[Event]) -> None:
    """For any batch (repeats, any order): one winner per incident, the maximum by
    (revision, event_id); every other event is counted once, as a duplicate (only a repeated
    event_id can be one) or as stale."""
    expected: dict[tuple[str, str], Event] = {}
    for item in batch:
        key = (item.landlord_id, item.incident_id)
        best = expected.get(key)
        if best is None or (item.revision, item.event_id) > (best.revision, best.event_id):
            expected[key] = item
    winners = pick_winners(batch)
    assert len(winners.events) == len(expected)
    assert {(w.landlord_id, w.incident_id): w for w in winners.events} == expected
    assert winners.duplicates + winners.stale == len(batch) - len(expected)
    assert winners.duplicates <= len(batch) - len({item.event_id for item in batch})
