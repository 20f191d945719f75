"""The counting rules, without I/O: which event wins for an incident, and how the counters move.

An incident counts once, in the counter row of its current state: the event with the highest
`(revision, event_id)`; a withdrawn current state counts nowhere. Applying a batch is therefore:
reduce it to one winner per incident, compare each winner with the stored state, and move the
incident's contribution from the old counter row to the new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from vigie.events import COMPLAINTS, TARGETS

IncidentKey = tuple[str, str]  # (landlord_id, incident_id)
CounterKey = tuple[str, date, str, str]  # (territory_id, day, category, landlord_id)

# Positions in a counter vector: incidents, severity 1-4, the targets, the complaint statuses.
SEVERITY_BASE = 1
TARGET_BASE = SEVERITY_BASE + 4
COMPLAINT_BASE = TARGET_BASE + len(TARGETS)
VECTOR_LEN = COMPLAINT_BASE + len(COMPLAINTS)
TARGET_INDEX = {name: TARGET_BASE + i for i, name in enumerate(TARGETS)}
COMPLAINT_INDEX = {name: COMPLAINT_BASE + i for i, name in enumerate(COMPLAINTS)}
# Column names of incident_counters, in vector order (cost_eur is kept apart: it is a decimal).
COUNT_COLUMNS: tuple[str, ...] = (
    "incidents",
    *(f"severity_{level}" for level in range(1, 5)),
    *(f"target_{name}" for name in TARGETS),
    *(f"complaint_{name}" for name in COMPLAINTS),
)


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one counted incident adds to the counters."""

    territory_id: str
    day: date
    category: str
    severity: int
    target: str
    complaint: str
    cost_eur: Decimal | None

    def counter_key(self, landlord_id: str) -> CounterKey:
        """The counter row this incident counts in."""
        return (self.territory_id, self.day, self.category, landlord_id)


@dataclass(frozen=True, slots=True)
class IncidentRevision:
    """One revision of an incident, as events carry it and the `incidents` table stores it."""

    landlord_id: str
    incident_id: str
    revision: int
    event_id: UUID
    contribution: Contribution | None  # None: withdrawn
    residence_id: str | None = None
    occurred_at: datetime | None = None

    @property
    def key(self) -> IncidentKey:
        """The incident this revision belongs to."""
        return (self.landlord_id, self.incident_id)

    @property
    def order(self) -> tuple[int, UUID]:
        """The winning order: highest revision, then highest event_id (a stable tie-break)."""
        return (self.revision, self.event_id)


@dataclass(slots=True)
class Delta:
    """A change to one counter row."""

    counts: list[int] = field(default_factory=lambda: [0] * VECTOR_LEN)
    cost_eur: Decimal = Decimal(0)

    def add(self, contribution: Contribution, sign: int) -> None:
        """Add (+1) or remove (-1) one incident's contribution."""
        counts = self.counts
        counts[0] += sign
        counts[SEVERITY_BASE + contribution.severity - 1] += sign
        counts[TARGET_INDEX[contribution.target]] += sign
        counts[COMPLAINT_INDEX[contribution.complaint]] += sign
        if contribution.cost_eur is not None:
            self.cost_eur += sign * contribution.cost_eur

    def is_zero(self) -> bool:
        """True when applying it would change nothing."""
        return not any(self.counts) and not self.cost_eur


@dataclass(frozen=True, slots=True)
class Reduced:
    """A batch reduced to one winning revision per incident."""

    winners: dict[IncidentKey, IncidentRevision]
    duplicates: int  # the same event_id as the batch's winner
    stale: int  # an older revision (or a losing tie) than the batch's winner


@dataclass(slots=True)
class Plan:
    """What applying a batch does to the database."""

    inserts: list[IncidentRevision] = field(default_factory=list)
    updates: list[IncidentRevision] = field(default_factory=list)
    deltas: dict[CounterKey, Delta] = field(default_factory=dict)
    duplicates: int = 0
    stale: int = 0

    @property
    def applied(self) -> int:
        """How many incident states change."""
        return len(self.inserts) + len(self.updates)

    def changed_days(self) -> dict[str, set[date]]:
        """The (territory, day) pairs whose counters move, grouped by territory."""
        result: dict[str, set[date]] = {}
        for territory_id, day, _category, _landlord in self.deltas:
            result.setdefault(territory_id, set()).add(day)
        return result


def reduce_batch(revisions: Iterable[IncidentRevision]) -> Reduced:
    """Keep the winning revision of each incident; count what lost."""
    winners: dict[IncidentKey, IncidentRevision] = {}
    duplicates = stale = 0
    for revision in revisions:
        current = winners.get(revision.key)
        if current is None:
            winners[revision.key] = revision
            continue
        if revision.event_id == current.event_id:
            duplicates += 1
        elif revision.order > current.order:
            winners[revision.key] = revision
            stale += 1
        else:
            stale += 1
    return Reduced(winners=winners, duplicates=duplicates, stale=stale)


def plan_batch(reduced: Reduced, stored: Mapping[IncidentKey, IncidentRevision]) -> Plan:
    """Compare each winner with the stored state: what to write and how the counters move."""
    plan = Plan(duplicates=reduced.duplicates, stale=reduced.stale)
    for key, winner in reduced.winners.items():
        previous = stored.get(key)
        if previous is not None and winner.order <= previous.order:
            if winner.event_id == previous.event_id:
                plan.duplicates += 1
            else:
                plan.stale += 1
            continue
        if previous is None:
            plan.inserts.append(winner)
        else:
            plan.updates.append(winner)
            _move(plan.deltas, previous, sign=-1)
        _move(plan.deltas, winner, sign=+1)
    plan.deltas = {key: delta for key, delta in sorted(plan.deltas.items()) if not delta.is_zero()}
    plan.inserts.sort(key=lambda revision: revision.key)
    plan.updates.sort(key=lambda revision: revision.key)
    return plan


def _move(deltas: dict[CounterKey, Delta], revision: IncidentRevision, *, sign: int) -> None:
    contribution = revision.contribution
    if contribution is None:
        return
    key = contribution.counter_key(revision.landlord_id)
    delta = deltas.get(key)
    if delta is None:
        delta = deltas[key] = Delta()
    delta.add(contribution, sign)
