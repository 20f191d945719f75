"""One batch of revisions → one PostgreSQL transaction, retried until it commits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from vigie_aggregator import repository
from vigie_aggregator.counting import IncidentRevision, Plan, Reduced, plan_batch, reduce_batch
from vigie_aggregator.metrics import AggregatorMetrics
from vigie_aggregator.notify import change_messages

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 5.0
# Conflicts between writers: retried at once, the next attempt reads what the other committed.
_CONFLICTS = (
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.UniqueViolationError,
    repository.ConcurrentWrite,
)


@dataclass(frozen=True, slots=True)
class Applied:
    """A committed batch: what it did, and its counters.changed messages in the outbox."""

    plan: Plan
    outbox_ids: list[int]
    messages: list[bytes]


async def apply_revisions(
    pool: asyncpg.Pool,
    revisions: Sequence[IncidentRevision],
    *,
    metrics: AggregatorMetrics | None = None,
) -> Applied:
    """Apply the revisions in one transaction; retry on conflicts and while the database is
    unavailable (the partition waits rather than skipping anything)."""
    reduced = reduce_batch(revisions)
    backoff = 0.05
    while True:
        try:
            return await _apply_once(pool, reduced)
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
        if metrics is not None:
            metrics.retries.labels(cause=cause).inc()
        await asyncio.sleep(delay)


async def _apply_once(pool: asyncpg.Pool, reduced: Reduced) -> Applied:
    async with pool.acquire() as conn, conn.transaction():
        stored = await repository.lock_incidents(conn, sorted(reduced.winners))
        plan = plan_batch(reduced, stored)
        await repository.apply_plan(conn, plan)
        messages = change_messages(plan.changed_days())
        ids = [await repository.add_outbox(conn, message) for message in messages]
    return Applied(plan=plan, outbox_ids=ids, messages=messages)
