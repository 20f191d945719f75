"""A batch reduced to each incident's winning event, before it goes to the database.

Cheap here (a dict), and it spares PostgreSQL, the busier process, a sort of the whole batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from vigie_aggregator.decode import Event


@dataclass(frozen=True, slots=True)
class Winners:
    """Each incident's highest (revision, event_id) event, and what lost."""

    events: list[Event]
    duplicates: int  # the same event_id as an event kept or seen before
    stale: int  # a lower (revision, event_id) than the incident's winner


def pick_winners(events: Iterable[Event]) -> Winners:
    """Keep the winning event of each incident; count the others."""
    best: dict[tuple[str, str], Event] = {}
    duplicates = stale = 0
    for event in events:
        key = (event.landlord_id, event.incident_id)
        current = best.get(key)
        if current is None:
            best[key] = event
        elif event.event_id == current.event_id:
            duplicates += 1
        else:
            stale += 1
            if (event.revision, event.event_id) > (current.revision, current.event_id):
                best[key] = event
    return Winners(events=list(best.values()), duplicates=duplicates, stale=stale)
