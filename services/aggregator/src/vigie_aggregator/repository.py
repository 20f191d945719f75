"""The aggregator's SQL, run on a connection the caller holds (and wraps in a transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, TypeAlias

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy

from vigie_aggregator.counting import (
    COUNT_COLUMNS,
    Contribution,
    CounterKey,
    Delta,
    IncidentKey,
    IncidentRevision,
    Plan,
)


def sql(name: str) -> str:
    """The text of one of the package's SQL files."""
    return files("vigie_aggregator").joinpath("sql", name).read_text(encoding="utf-8")


LOCK_INCIDENTS = sql("lock_incidents.sql")
INSERT_INCIDENTS = sql("insert_incidents.sql")
UPDATE_INCIDENTS = sql("update_incidents.sql")
ADD_TO_COUNTERS = sql("add_to_counters.sql")
SUBTRACT_FROM_COUNTERS = sql("subtract_from_counters.sql")
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
    """Write the planned states and counter deltas; raise ConcurrentWrite if the plan is stale.

    Separate statements, not one: each then gets a plan for its real row count (the few
    updates by index, not a hash of the whole table)."""
    if plan.inserts:
        inserted = await conn.fetchval(INSERT_INCIDENTS, _state_json(plan.inserts))
        if inserted != len(plan.inserts):
            raise ConcurrentWrite(f"{len(plan.inserts) - inserted} incidents inserted meanwhile")
    if plan.updates:
        updated = await conn.fetchval(UPDATE_INCIDENTS, _state_json(plan.updates))
        if updated != len(plan.updates):
            raise ConcurrentWrite(f"{len(plan.updates) - updated} incidents changed meanwhile")
    gaining = [(key, delta) for key, delta in plan.deltas.items() if delta.counts[0] >= 0]
    losing = [(key, delta) for key, delta in plan.deltas.items() if delta.counts[0] < 0]
    if gaining:
        await conn.execute(ADD_TO_COUNTERS, _delta_json(gaining))
    if losing:
        found = await conn.fetchval(SUBTRACT_FROM_COUNTERS, _delta_json(losing))
        if found != len(losing):
            # The stored incidents say these rows exist: the counters drifted (edited by
            # hand?). Retried with backoff; `vigie rebuild` repairs them and unblocks it.
            raise CountersOutOfStep(f"{len(losing) - found} counter rows missing")
        await conn.execute(DELETE_EMPTY_COUNTERS, *_transpose([key for key, _ in losing], 4))


def _state_json(states: Sequence[IncidentRevision]) -> str:
    # One JSON text parsed by PostgreSQL (json_to_recordset) costs far less than encoding
    # typed arrays of UUIDs, timestamps and decimals on the client.
    rows: list[dict[str, Any]] = []
    for state in states:
        c = state.contribution
        row: dict[str, Any] = {
            "landlord_id": state.landlord_id,
            "incident_id": state.incident_id,
            "revision": state.revision,
            "event_id": state.event_id,
            "withdrawn": c is None,
            "residence_id": state.residence_id,
            "occurred_at": state.occurred_at,
        }
        if c is not None:
            row.update(
                territory_id=c.territory_id,
                category=c.category,
                day=c.day,
                severity=c.severity,
                target=c.target,
                complaint=c.complaint,
                cost_eur=None if c.cost_eur is None else str(c.cost_eur),
            )
        rows.append(row)
    return orjson.dumps(rows).decode()


def _delta_json(deltas: Sequence[tuple[CounterKey, Delta]]) -> str:
    rows: list[dict[str, Any]] = []
    for (territory_id, day, category, landlord_id), delta in deltas:
        row: dict[str, Any] = dict(zip(COUNT_COLUMNS, delta.counts, strict=True))
        row.update(
            territory_id=territory_id,
            day=day,
            category=category,
            landlord_id=landlord_id,
            cost_eur=str(delta.cost_eur),
        )
        rows.append(row)
    return orjson.dumps(rows).decode()


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
