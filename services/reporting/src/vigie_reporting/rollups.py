"""Keeps `reporting_rollup` (the country, régions and départements by day and category, all
landlords) and `reporting_daily` (each counters' territory by day) in step with
`incident_counters`, about every second.

The days to recompute come from counters.changed.v1 (`changes`): its handler appends them to
`reporting_dirty_days` once the aggregator has committed them. A refresh, in one REPEATABLE READ
transaction (so that the days it takes and the counters it reads belong to one snapshot),
deletes the dirty rows it sees and recomputes those days from the counters; a day made dirty
after its snapshot stays for the next round. Since a day is announced only after its change
committed, a snapshot that sees the day sees the change too. An advisory lock, taken before the
snapshot, lets one reporting process refresh at a time.

Answers are never staler than what reporting has heard: a request on an upper level reads the
roll-up for the clean days and the counters for the dirty ones (`sql/summary.sql`), and reads
the counters only until the first full build (or a full rebuild asked by `changes`) has
committed."""

from __future__ import annotations

import contextlib

import asyncpg

from vigie.platform.background import Periodic
from vigie_reporting import repository
from vigie_reporting.repository import Conn

REFRESH_INTERVAL_S = 1.0

# The levels the roll-up holds; QPVs and communes are small enough to read from the counters.
ROLLUP_KINDS = ("pays", "region", "departement")


async def refresh(pool: asyncpg.Pool) -> int | None:
    """Fold the dirty days in; the number of days recomputed (-1: all), None if another process
    holds the refresh."""
    async with pool.acquire() as conn:
        # The lock is taken before the snapshot: a refresh that waited its turn must see what
        # the previous one committed.
        if not await repository.try_refresh_lock(conn):
            return None
        try:
            async with conn.transaction(isolation="repeatable_read"):
                return await _refresh(conn)
        finally:
            await repository.refresh_unlock(conn)


async def _refresh(conn: Conn) -> int:
    full = await repository.full_rebuild_due(conn)
    days = await repository.take_dirty_days(conn)
    if full:
        await repository.recompute_rollups(conn, None)
        await repository.stamp_rollups(conn, full=True)
        return -1
    if days:
        await repository.recompute_rollups(conn, days)
    await repository.stamp_rollups(conn, full=False)
    return len(days)


def rollup_keeper(pool: asyncpg.Pool, *, interval_s: float = REFRESH_INTERVAL_S) -> Periodic:
    """The background refresh of the roll-ups (`wake()` starts a round at once)."""

    async def round_() -> None:
        # A full rebuild asked for meanwhile makes the stamp fail: the next round does it.
        with contextlib.suppress(asyncpg.SerializationError):
            await refresh(pool)

    return Periodic(round_, interval_s=interval_s, name="rollup-refresh")
