"""The aggregator's SQL, run on a connection the caller holds (and wraps in a transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy


def sql(name: str) -> str:
    """The text of one of the package's SQL files."""
    return files("vigie_aggregator").joinpath("sql", name).read_text(encoding="utf-8")


APPLY_BATCH = sql("apply_batch.sql")
DELETE_EMPTY_COUNTERS = sql("delete_empty_counters.sql")
OUTBOX_DELETE = sql("outbox_delete.sql")
OUTBOX_LEFTOVERS = sql("outbox_leftovers.sql")


# A connection of its own or one borrowed from a pool.
Conn: TypeAlias = "asyncpg.Connection | PoolConnectionProxy[asyncpg.Record]"


class CountersOutOfStep(RuntimeError):
    """A counter row that should exist (it holds stored incidents) does not."""


Changes: TypeAlias = list[tuple[str, date]]  # (territory_id, day) pairs, maybe repeated


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """The (territory, day) pairs one committed batch changed, waiting to be announced."""

    id: int
    changes: Changes


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What apply_batch.sql did."""

    applied: int  # incident states written
    duplicates: int
    losing: int  # counter rows it meant to decrease
    lost: int  # counter rows it did decrease (fewer: the counters drifted)
    emptied: list[list[Any]]  # keys of the rows that fell to zero, as four columns
    raced: set[tuple[str, str]]  # incidents another writer changed meanwhile: not applied
    outbox: OutboxEntry | None  # None: no counter moved


async def apply_batch(conn: Conn, events_json: str) -> BatchResult:
    """Run the counting statement on a JSON array of validated events."""
    row = await conn.fetchrow(APPLY_BATCH, events_json)
    assert row is not None  # an aggregate query always returns its row
    emptied = [row["empty_territories"], row["empty_days"], row["empty_categories"]]
    emptied.append(row["empty_landlords"])
    return BatchResult(
        applied=row["applied"],
        duplicates=row["duplicates"],
        losing=row["losing"],
        lost=row["lost"],
        emptied=emptied if emptied[0] else [],
        raced=set(zip(row["retry_landlords"] or (), row["retry_incidents"] or (), strict=True)),
        outbox=None
        if row["outbox_id"] is None
        else _entry(row["outbox_id"], row["changed_territories"], row["changed_days"]),
    )


def _entry(id: int, territory_ids: list[str], days: list[date]) -> OutboxEntry:
    return OutboxEntry(id=id, changes=list(zip(territory_ids, days, strict=True)))


async def delete_empty_counters(conn: Conn, emptied: list[list[Any]]) -> None:
    """Delete the counter rows a batch brought to zero."""
    await conn.execute(DELETE_EMPTY_COUNTERS, *emptied)


async def delete_outbox(conn: Conn, ids: Sequence[int]) -> None:
    """Forget announced entries."""
    await conn.execute(OUTBOX_DELETE, list(ids))


async def outbox_leftovers(conn: Conn, *, older_than_s: float) -> list[OutboxEntry]:
    """Lock up to 100 unannounced entries older than the given age."""
    rows = await conn.fetch(OUTBOX_LEFTOVERS, older_than_s)
    return [_entry(row["id"], row["territory_ids"], row["days"]) for row in rows]
