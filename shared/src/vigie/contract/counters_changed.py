"""The counters.changed.v1 message (docs/contract.md §6, vigie.contract.topics): after each
committed batch, which (territory, day) pairs of the counters moved. One model for every
reader; unknown fields are ignored so that a later minor addition breaks no reader."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict


class ChangedTerritory(BaseModel):
    """The days of one territory whose counters moved."""

    model_config = ConfigDict(extra="ignore")
    territory_id: str
    days: list[date]


class CountersChanged(BaseModel):
    """One message: a hint to re-read the counters of these (territory, day) pairs."""

    model_config = ConfigDict(extra="ignore")
    version: int
    committed_at: AwareDatetime
    changes: list[ChangedTerritory]
