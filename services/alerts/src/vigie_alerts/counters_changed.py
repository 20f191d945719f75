"""The counters.changed.v1 message the aggregator publishes after each committed batch
(format: vigie.contract.topics), as the alerts service reads it."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class ChangedTerritory(BaseModel):
    """The days of one territory whose counters moved."""

    model_config = ConfigDict(extra="ignore")
    territory_id: str
    days: list[date]


class CountersChanged(BaseModel):
    """One message: a hint to re-read the counters of these (territory, day) pairs."""

    model_config = ConfigDict(extra="ignore")
    version: int
    committed_at: datetime
    changes: list[ChangedTerritory]


def merged(messages: list[CountersChanged]) -> dict[str, set[date]]:
    """The changed days per territory over several messages."""
    out: dict[str, set[date]] = {}
    for message in messages:
        for change in message.changes:
            out.setdefault(change.territory_id, set()).update(change.days)
    return out
