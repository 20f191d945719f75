"""The aggregator's SQL, run on a connection the caller holds (and wraps in a transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from vigie_aggregator.counting import (
    VECTOR_LEN,
    Contribution,
    CounterKey,
    IncidentKey,
    IncidentRevision,
    Plan,
)


def sql(name: str) -> str:
    """The text of one of the package's SQL files."""
    return files("vigie_aggregator").joinpath("sql", name).read_text(encoding="utf-8")


LOCK_INCIDENTS = sql("lock_incidents.sql")
APPLY_BATCH = sql("apply_batch.sql")
DELETE_EMPTY_COUNTERS = sql("delete_empty_counters.sql")
KNOWN_TERRITORIES = sql("known_territories.sql")
OUTBOX_INSERT = sql("outbox_insert.sql")
OUTBOX_DELETE = sql("outbox_delete.sql")
OUTBOX_LEFTOVERS = sql("outbox_leftovers.sql")


# A connection of its own or one borrowed from a pool.
Conn: TypeAlias = "asyncpg.Connection | PoolConnectionProxy[asyncpg.Record]"


class ConcurrentWrite(RuntimeError):
    """Another writer changed one of the batch's incidents between our read and our write."""


class CountersOutOfStep(RuntimeError):
    """A counter row that should exist (it holds stored incidents) does not."""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A counters.changed.v1 message waiting in the database."""

    id: int
    payload: bytes


async def lock_incidents(
    conn: Conn, keys: Iterable[IncidentKey]
) -> dict[IncidentKey, IncidentRevision]:
    """Read and lock the stored states of these incidents (those that exist)."""
    landlords: list[str] = []
    incidents: list[str] = []
    for landlord_id, incident_id in keys:
        landlords.append(landlord_id)
        incidents.append(incident_id)
    rows = await conn.fetch(LOCK_INCIDENTS, landlords, incidents)
    return {(row["landlord_id"], row["incident_id"]): _revision(row) for row in rows}


def _revision(row: asyncpg.Record) -> IncidentRevision:
    contribution = None
    if not row["withdrawn"]:
        contribution = Contribution(
            territory_id=row["territory_id"],
            day=row["day"],
            category=row["category"],
            severity=row["severity"],
            target=row["target"],
            complaint=row["complaint"],
            cost_eur=row["cost_eur"],
        )
    return IncidentRevision(
        landlord_id=row["landlord_id"],
        incident_id=row["incident_id"],
        revision=row["revision"],
        event_id=row["event_id"],
        contribution=contribution,
        residence_id=row["residence_id"],
        occurred_at=row["occurred_at"],
    )


async def apply_plan(conn: Conn, plan: Plan) -> None:
    """Write the planned states and counter deltas; raise ConcurrentWrite if the plan is stale."""
    states = [*plan.inserts, *plan.updates]
    is_new = [True] * len(plan.inserts) + [False] * len(plan.updates)
    row = await conn.fetchrow(APPLY_BATCH, *_state_columns(states), is_new, *_delta_columns(plan))
    assert row is not None
    if row["inserted"] != len(plan.inserts) or row["updated"] != len(plan.updates):
        raise ConcurrentWrite(
            f"planned {len(plan.inserts)} inserts and {len(plan.updates)} updates, "
            f"wrote {row['inserted']} and {row['updated']}"
        )
    losing = [key for key, delta in plan.deltas.items() if delta.counts[0] < 0]
    if row["decreased"] != len(losing):
        # The stored incidents say these rows exist: the counters drifted (edited by hand?).
        # Retried with backoff; `vigie rebuild` repairs the counters and unblocks it.
        raise CountersOutOfStep(f"{len(losing) - row['decreased']} counter rows missing")
    if losing:
        await conn.execute(DELETE_EMPTY_COUNTERS, *_transpose(losing, 4))


def _state_columns(states: Sequence[IncidentRevision]) -> list[list[Any]]:
    columns: list[list[Any]] = [[] for _ in range(14)]
    for state in states:
        c = state.contribution
        values: tuple[Any, ...] = (
            state.landlord_id,
            state.incident_id,
            state.revision,
            state.event_id,
            c is None,
            c and c.territory_id,
            state.residence_id,
            c and c.category,
            state.occurred_at,
            c and c.day,
            c and c.severity,
            c and c.target,
            c and c.complaint,
            c and c.cost_eur,
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    return columns


def _delta_columns(plan: Plan) -> list[list[Any]]:
    keys = list(plan.deltas)
    columns: list[list[Any]] = _transpose(keys, 4)
    for index in range(VECTOR_LEN):
        columns.append([delta.counts[index] for delta in plan.deltas.values()])
    columns.append([delta.cost_eur for delta in plan.deltas.values()])
    return columns


def _transpose(keys: Sequence[CounterKey], width: int) -> list[list[Any]]:
    return [[key[i] for key in keys] for i in range(width)]


async def known_territories(conn: Conn) -> set[str]:
    """Every territory id an incident may name."""
    return {row[0] for row in await conn.fetch(KNOWN_TERRITORIES)}


async def add_outbox(conn: Conn, payload: bytes) -> int:
    """Store a counters.changed.v1 message; return its id."""
    value: int = await conn.fetchval(OUTBOX_INSERT, payload.decode())
    return value


async def delete_outbox(conn: Conn, ids: Sequence[int]) -> None:
    """Forget published messages."""
    await conn.execute(OUTBOX_DELETE, list(ids))


async def outbox_leftovers(conn: Conn, *, older_than_s: float) -> list[OutboxMessage]:
    """Lock up to 100 unpublished messages older than the given age."""
    rows = await conn.fetch(OUTBOX_LEFTOVERS, older_than_s)
    return [OutboxMessage(id=row["id"], payload=row["payload"].encode()) for row in rows]
