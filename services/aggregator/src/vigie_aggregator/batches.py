"""One batch of events → one PostgreSQL transaction, retried until it commits.

An event that PostgreSQL refuses on its own (a data exception: a value the validation let
through but a column cannot hold) would fail its batch forever and stall the partition: such
events are found by bisection in a transaction that is rolled back, returned as refused (the
consumer dead-letters them), and the batch is applied without them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import asyncpg

from vigie_aggregator import repository
from vigie_aggregator.decode import Event, events_json
from vigie_aggregator.metrics import AggregatorMetrics
from vigie_aggregator.winners import pick_winners

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 5.0
# Conflicts between writers: retried at once, the next attempt reads what the other committed.
_CONFLICTS = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)


@dataclass(frozen=True, slots=True)
class Applied:
    """A committed batch: what it did, and its counters.changed messages in the outbox."""

    applied: int  # incident states written
    duplicates: int  # events already applied (a redelivery, a sender's retry)
    stale: int  # events that lost to a higher (revision, event_id)
    outbox: list[repository.OutboxEntry]  # what changed, to announce once committed
    refused: list[tuple[int, str]] = field(default_factory=list)  # (index, PostgreSQL's error)


NOTHING = Applied(applied=0, duplicates=0, stale=0, outbox=[])


async def apply_events(
    pool: asyncpg.Pool,
    events: Sequence[Event],
    *,
    metrics: AggregatorMetrics | None = None,
) -> Applied:
    """Apply the events in one transaction; retry on conflicts and while the database is
    unavailable (the partition waits rather than skipping anything). Events PostgreSQL refuses
    on their own are left out and returned in `refused`."""
    positions = list(range(len(events)))  # of the events still to apply, in `events`
    refused: list[tuple[int, str]] = []
    backoff = 0.05
    while positions:
        try:
            try:  # nested: what _refused raises is handled like the rest below
                result = await _apply_once(pool, [events[i] for i in positions])
            except asyncpg.DataError:
                found = await _refused(pool, [events[i] for i in positions])
                if not found:
                    raise  # not one event's doing: retried as a database failure
                log.error("%d events refused by PostgreSQL, dead-lettered: %s", len(found), found)
                refused += [(positions[i], message) for i, message in found]
                dropped = {i for i, _ in found}
                positions = [p for i, p in enumerate(positions) if i not in dropped]
                continue
        except _CONFLICTS as exc:
            cause, delay = "conflict", 0.0
            log.info("batch conflict, retrying: %s", exc)
        except (
            TimeoutError,
            OSError,
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
            repository.CountersOutOfStep,
        ) as exc:
            cause, delay = "database", backoff
            backoff = min(backoff * 2, MAX_BACKOFF_S)
            log.warning("batch failed, retrying in %.2f s: %r", delay, exc)
        else:
            return replace(result, refused=refused)
        if metrics is not None:
            metrics.retries.labels(cause=cause).inc()
        await asyncio.sleep(delay)
    return replace(NOTHING, refused=refused)


async def _refused(pool: asyncpg.Pool, events: Sequence[Event]) -> list[tuple[int, str]]:
    """The events PostgreSQL refuses, with its message: halves applied under savepoints in a
    transaction that is rolled back, down to the single events that fail."""
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            return await _bisect(conn, events, list(range(len(events))))
        finally:
            await transaction.rollback()


async def _bisect(
    conn: repository.Conn, events: Sequence[Event], indexes: list[int]
) -> list[tuple[int, str]]:
    try:
        async with conn.transaction():  # a savepoint
            await apply_in_transaction(conn, [events[i] for i in indexes])
    except asyncpg.DataError as exc:
        if len(indexes) == 1:
            return [(indexes[0], str(exc))]
        middle = len(indexes) // 2
        return await _bisect(conn, events, indexes[:middle]) + await _bisect(
            conn, events, indexes[middle:]
        )
    return []


async def _apply_once(pool: asyncpg.Pool, events: Sequence[Event]) -> Applied:
    async with pool.acquire() as conn, conn.transaction():
        return await apply_in_transaction(conn, events)


async def apply_in_transaction(conn: repository.Conn, events: Sequence[Event]) -> Applied:
    """Apply the events on a connection inside a transaction the caller commits."""
    batch = pick_winners(events)
    applied = 0
    duplicates = batch.duplicates
    outbox: list[repository.OutboxEntry] = []
    pending = batch.events
    while pending:
        result = await repository.apply_batch(conn, events_json(pending))
        if result.lost != result.losing:
            # The stored incidents say these rows exist: the counters drifted (edited by
            # hand?). Retried with backoff; `vigie rebuild` repairs them and unblocks it.
            raise repository.CountersOutOfStep(
                f"{result.losing - result.lost} counter rows missing"
            )
        if result.emptied:
            await repository.delete_empty_counters(conn, result.emptied)
        applied += result.applied
        duplicates += result.duplicates
        if result.outbox is not None:
            outbox.append(result.outbox)
        # Incidents another writer changed meanwhile: again, against its committed state.
        raced = result.raced
        pending = [e for e in pending if (e.landlord_id, e.incident_id) in raced] if raced else []
        if pending:
            log.info("%d incidents changed by another writer: applying again", len(pending))
    return Applied(
        applied=applied,
        duplicates=duplicates,
        stale=len(events) - applied - duplicates,
        outbox=outbox,
    )
