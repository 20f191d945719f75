"""Retention of Open311 request details (VIGIE_RETENTION_YEARS, see vigie.platform.retention):
the description and coordinates a requester sent are erased once the request is older than the
retention; the request stays, so its id still answers with its incident's state. Run by intake
every `INTAKE_RETENTION_INTERVAL_S` and by `vigie retention purge`, in small batches."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

import asyncpg

from vigie.platform.retention import first_kept_day
from vigie_intake.repository import Conn, sql

BATCH = 1000
PURGE = sql("open311_retention_purge.sql")
DUE = sql("open311_retention_due.sql")

log = logging.getLogger(__name__)


async def due(conn: Conn, before: date) -> int:
    """How many requests a purge before `before` would purge now."""
    return int(await conn.fetchval(DUE, before))


async def purge(
    pool: asyncpg.Pool | Conn,
    before: date,
    *,
    limit: int = BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Purge every request made before `before`, one transaction per batch; how many."""
    total = 0
    while True:
        if isinstance(pool, asyncpg.Pool):
            async with pool.acquire() as conn, conn.transaction():
                purged = len(await conn.fetch(PURGE, before, limit))
        else:
            async with pool.transaction():
                purged = len(await pool.fetch(PURGE, before, limit))
        total += purged
        if on_progress is not None and purged:
            on_progress(total)
        if purged < limit:
            return total


async def purge_expired(pool: asyncpg.Pool, *, years: int) -> int:
    """One round of intake's retention."""
    before = first_kept_day(years)
    purged = await purge(pool, before)
    if purged:
        log.info("retention: details of %d Open311 requests before %s purged", purged, before)
    return purged
