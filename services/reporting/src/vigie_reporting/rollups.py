"""Keeps `reporting_rollup` (the country, régions and départements by day and category, all
landlords) and `reporting_daily` (each counters' territory by day) in step with
`incident_counters`, about every second.

The triggers of migration 0002 append every day a counters statement touched to
`reporting_dirty_days`. A refresh, in one REPEATABLE READ transaction (so that the days it takes
and the counters it reads belong to one snapshot), deletes the dirty rows it sees and recomputes
those days from the counters; a day made dirty after its snapshot stays for the next round.
An advisory lock, taken before the snapshot, lets one reporting process refresh at a time.

Answers are never stale for it: a request on an upper level reads the roll-up for the clean
days and the counters for the dirty ones (`queries.ROLLUP_ROWS`), and reads the counters only
until the first full build (or the rebuild after a TRUNCATE) has committed."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

REFRESH_INTERVAL_S = 1.0
_LOCK = 0x56494745_52  # "VIGIE" + "R"
_log = logging.getLogger(__name__)

# The levels the roll-up holds; QPVs and communes are small enough to read from the counters.
ROLLUP_KINDS = ("pays", "region", "departement")

_SUMS = """
       sum(c.incidents), sum(c.severity_1), sum(c.severity_2), sum(c.severity_3),
       sum(c.severity_4), sum(c.target_patrimoine), sum(c.target_personnel),
       sum(c.target_prestataire), sum(c.target_locataire), sum(c.target_autre),
       sum(c.complaint_plainte), sum(c.complaint_main_courante), sum(c.complaint_aucune),
       sum(c.complaint_inconnu), sum(c.cost_eur)
"""

_INSERT = f"""
INSERT INTO reporting_rollup
SELECT a.ancestor_id, c.day, c.category, {_SUMS}
FROM incident_counters c
JOIN territory_ancestors a ON a.territory_id = c.territory_id
JOIN territories t ON t.territory_id = a.ancestor_id
                  AND t.kind IN ('pays', 'region', 'departement')
WHERE {{days}}
GROUP BY a.ancestor_id, c.day, c.category
"""

INSERT_DAYS = _INSERT.format(days="c.day = ANY($1::date[])")
INSERT_ALL = _INSERT.format(days="true")

_INSERT_DAILY = """
INSERT INTO reporting_daily (day, territory_id, incidents, plainte)
SELECT c.day, c.territory_id, sum(c.incidents), sum(c.complaint_plainte)
FROM incident_counters c
WHERE {days}
GROUP BY c.day, c.territory_id
"""
INSERT_DAILY_DAYS = _INSERT_DAILY.format(days="c.day = ANY($1::date[])")
INSERT_DAILY_ALL = _INSERT_DAILY.format(days="true")
TAKE_DIRTY = "DELETE FROM reporting_dirty_days RETURNING day"
STATE = "SELECT full_rebuild, refreshed_at FROM reporting_rollup_state"
STAMP = "UPDATE reporting_rollup_state SET full_rebuild = false, refreshed_at = now()"


async def refresh(pool: asyncpg.Pool) -> int | None:
    """Fold the dirty days in; the number of days recomputed (-1: all), None if another process
    holds the refresh."""
    async with pool.acquire() as conn:
        # The lock is taken before the snapshot: a refresh that waited its turn must see what
        # the previous one committed.
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LOCK):
            return None
        try:
            async with conn.transaction(isolation="repeatable_read"):
                return await _refresh(conn)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK)


async def _refresh(conn: asyncpg.pool.PoolConnectionProxy[asyncpg.Record]) -> int:
    state = await conn.fetchrow(STATE)
    assert state is not None
    days = sorted({r["day"] for r in await conn.fetch(TAKE_DIRTY)})
    if state["full_rebuild"]:
        await conn.execute("DELETE FROM reporting_rollup")
        await conn.execute("DELETE FROM reporting_daily")
        await conn.execute(INSERT_ALL)
        await conn.execute(INSERT_DAILY_ALL)
        await conn.execute(STAMP)
        return -1
    if days:
        await conn.execute("DELETE FROM reporting_rollup WHERE day = ANY($1::date[])", days)
        await conn.execute("DELETE FROM reporting_daily WHERE day = ANY($1::date[])", days)
        await conn.execute(INSERT_DAYS, days)
        await conn.execute(INSERT_DAILY_DAYS, days)
    await conn.execute(STAMP)
    return len(days)


class RollupKeeper:
    """The background refresh of the roll-up."""

    def __init__(self, pool: asyncpg.Pool, *, interval: float = REFRESH_INTERVAL_S) -> None:
        self._pool = pool
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start refreshing in the background."""
        self._task = asyncio.create_task(self._run(), name="rollup-refresh")

    async def stop(self) -> None:
        """Stop refreshing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await refresh(self._pool)
            except asyncpg.SerializationError:
                pass  # a TRUNCATE of the counters raced with us: the next round rebuilds
            except (asyncpg.PostgresError, OSError) as exc:
                _log.warning("roll-up refresh failed: %s", exc)
            await asyncio.sleep(self._interval)
