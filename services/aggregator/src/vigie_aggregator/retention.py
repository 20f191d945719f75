"""Retention of incident details (VIGIE_RETENTION_YEARS, default 5): the CNIL expects a
register like this one to keep personal and free-text details no longer than its purpose needs,
while the statistics (the counters) stay exact.

An incident whose day is more than N years ago (a withdrawn one: last changed more than N years
ago) is *purged*: its residence reference and exact time are erased, and it is frozen
(`purged_at`). The row keeps what the counters hold anyway (territory, day, category, severity,
target, complaint, cost) and what orders its events (revision, event_id), so that
- the counters do not move, and `vigie rebuild` still recomputes them exactly;
- a late duplicate, correction or withdrawal of a purged incident changes no count
  (apply_batch.sql skips frozen incidents: the incident is closed, its history is final).
Descriptions are never stored by the aggregator (masked at intake, dropped before counting).

Purged in small batches, each its own short transaction (rows a batch is writing are skipped
and taken next round): by the aggregator every `AGGREGATOR_RETENTION_INTERVAL_S`, and on demand
by `vigie retention purge [--dry-run]`. No index serves the search: it scans `incidents` once
a round, which a daily round affords, and the counting path pays no index upkeep for it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from importlib.resources import files

import asyncpg

from vigie.platform.retention import cutoff, first_kept_day
from vigie_aggregator.repository import Conn

log = logging.getLogger(__name__)

BATCH = 1000

PURGE = files("vigie_aggregator").joinpath("sql", "retention_purge.sql").read_text("utf-8")
DUE = files("vigie_aggregator").joinpath("sql", "retention_due.sql").read_text("utf-8")


async def due(conn: Conn, before: date) -> int:
    """How many incidents a purge before `before` would purge now."""
    return int(await conn.fetchval(DUE, before))


async def purge_batch(conn: Conn, before: date, *, limit: int = BATCH) -> int:
    """Purge at most `limit` incidents of days before `before`, in one transaction."""
    async with conn.transaction():
        return len(await conn.fetch(PURGE, before, limit))


async def purge(
    pool: asyncpg.Pool | Conn,
    before: date,
    *,
    limit: int = BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Purge every incident of days before `before`, batch after batch; the number purged."""
    total = 0
    while True:
        if isinstance(pool, asyncpg.Pool):
            async with pool.acquire() as conn:
                purged = await purge_batch(conn, before, limit=limit)
        else:
            purged = await purge_batch(pool, before, limit=limit)
        total += purged
        if on_progress is not None and purged:
            on_progress(total)
        if purged < limit:
            return total


async def purge_expired(pool: asyncpg.Pool, *, years: int, today: date | None = None) -> int:
    """One round of the aggregator's retention: purge what is older than `years`."""
    before = first_kept_day(years) if today is None else cutoff(today, years)
    purged = await purge(pool, before)
    if purged:
        log.info("retention: details of %d incidents before %s purged", purged, before)
    return purged
