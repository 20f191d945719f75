"""Keeps `reporting_rollup` (the country, régions and départements by day and category, all
landlords) and `reporting_daily` (each counters' territory by day) in step with
`incident_counters`, about every second.

The days to recompute come from counters.changed.v1 (`changes`): its handler appends them to
`reporting_dirty_days` once the aggregator has committed them. A refresh, in REPEATABLE READ
transactions of a chunk of days each (so that the days a chunk takes and the counters it reads
belong to one snapshot), deletes the dirty rows it sees and recomputes those days from the
counters; a day made dirty after a chunk's snapshot stays for a later chunk or round. Since a
day is announced only after its change committed, a snapshot that sees the day sees the change
too. An advisory lock, taken before the snapshots, lets one reporting process refresh at a time.

A full rebuild is one more use of the dirty days: a short transaction marks every day dirty and
counts the roll-ups as built (answers then read every day from the counters, so `rebuilt_at` is
its start), then chunks recompute the days, walking forward so that old days changing again
meanwhile do not hold the rebuild back. Why chunks: as one statement, the rebuild of 2,000,000
incidents outgrew the pool's 60 s command timeout on a loaded machine and was retried for ever,
and a national deployment holds more; a longer timeout on a connection of its own would only
move that limit, and hold one snapshot (and the tables' dead rows) for the whole rebuild. Chunks
are bounded in time, not in days (`ChunkSize`: about `CHUNK_TARGET_S` each, halved after a
timeout), their progress is logged, and answers stay exact meanwhile (dirty days are read from
the counters).

Answers are never staler than what reporting has heard: a request on an upper level reads the
roll-up for the clean days and the counters for the dirty ones (`sql/summary.sql`), and reads
the counters only until the first full build (or a full rebuild asked by `changes`) has
committed."""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass

import asyncpg

from vigie.platform.background import Periodic
from vigie_reporting import repository
from vigie_reporting.repository import Conn

REFRESH_INTERVAL_S = 1.0
# A chunk's statements must end well within the pool's command timeout (60 s, app.open_pool)
# even when the machine slows down several times over.
CHUNK_TARGET_S = 5.0
FIRST_CHUNK_DAYS = 31
MAX_CHUNK_DAYS = 366
PROGRESS_EVERY_S = 10.0
_log = logging.getLogger(__name__)

# The levels the roll-up holds; QPVs and communes are small enough to read from the counters.
ROLLUP_KINDS = ("pays", "region", "departement")


@dataclass
class ChunkSize:
    """How many dirty days one refresh transaction folds in, adapted to how long the last full
    chunk took (kept from round to round by the refresh task)."""

    days: int = FIRST_CHUNK_DAYS
    target_s: float = CHUNK_TARGET_S
    max_days: int = MAX_CHUNK_DAYS

    def took(self, elapsed_s: float) -> None:
        """Aim the next chunk at `target_s` (growing at most twofold at a time)."""
        scale = min(2.0, self.target_s / max(elapsed_s, 1e-3))
        self.days = max(1, min(self.max_days, int(self.days * scale)))

    def shrink(self) -> bool:
        """Halve after a chunk ran out of time; False when it was a single day already."""
        if self.days == 1:
            return False
        self.days //= 2
        return True


async def refresh(pool: asyncpg.Pool, *, chunk: ChunkSize | None = None) -> int | None:
    """Fold every dirty day in (a full rebuild first if one is asked); the number of days
    recomputed (-1 after a full rebuild), None if another process holds the refresh."""
    async with pool.acquire() as conn:
        # The lock is taken before the snapshots: a refresh that waited its turn must see what
        # the previous one committed.
        if not await repository.try_refresh_lock(conn):
            return None
        try:
            return await _refresh(conn, chunk or ChunkSize())
        finally:
            await repository.refresh_unlock(conn)


async def _refresh(conn: Conn, chunk: ChunkSize) -> int:
    async with conn.transaction(isolation="repeatable_read"):
        full = await repository.full_rebuild_due(conn)
        if full:
            await repository.mark_every_day_dirty(conn)
            await repository.stamp_rollups(conn, full=True)
    progress = _Progress(await repository.dirty_day_count(conn)) if full else None
    if progress is not None:
        _log.info("full rebuild of the roll-ups: %d days to recompute", progress.total)
    done, after = 0, None  # the last day of the previous chunk
    while True:
        wanted = chunk.days
        started = time.perf_counter()
        try:
            async with conn.transaction(isolation="repeatable_read"):
                days = await repository.take_dirty_days(conn, limit=wanted, after=after)
                if days:
                    await repository.recompute_rollups(conn, days)
                    await repository.stamp_rollups(conn, full=False)
        except (TimeoutError, asyncpg.QueryCanceledError):
            # Rolled back: its days are still dirty.
            if not chunk.shrink():
                raise
            _log.warning("roll-ups: %d days ran out of time; chunks of %d now", wanted, chunk.days)
            continue
        done += len(days)
        if len(days) < wanted:
            if after is None:
                break  # nothing more from the earliest day on
            after = None  # then the days changed behind it meanwhile
            continue
        after = days[-1]
        chunk.took(time.perf_counter() - started)
        if progress is None and done >= wanted:  # a backlog: worth following too
            progress = _Progress(done + await repository.dirty_day_count(conn))
        if progress is not None:
            progress.report(done, chunk.days)
    if progress is not None:
        _log.info("roll-ups: %d days recomputed in %.1f s", done, progress.elapsed())
    return -1 if full else done


class _Progress:
    """Logs a long refresh's progress every PROGRESS_EVERY_S."""

    def __init__(self, total: int) -> None:
        self.total = total
        self._started = self._logged = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since the refresh started."""
        return time.perf_counter() - self._started

    def report(self, done: int, chunk_days: int) -> None:
        """Log how far it is, at most every PROGRESS_EVERY_S."""
        if time.perf_counter() - self._logged >= PROGRESS_EVERY_S:
            self._logged = time.perf_counter()
            _log.info(
                "roll-ups: %d of %d days recomputed in %.0f s (chunks of %d days)",
                done,
                max(done, self.total),
                self.elapsed(),
                chunk_days,
            )


def rollup_keeper(pool: asyncpg.Pool, *, interval_s: float = REFRESH_INTERVAL_S) -> Periodic:
    """The background refresh of the roll-ups (`wake()` starts a round at once)."""
    chunk = ChunkSize()

    async def round_() -> None:
        # A full rebuild asked for meanwhile makes a stamp fail: the next round does it.
        with contextlib.suppress(asyncpg.SerializationError):
            await refresh(pool, chunk=chunk)

    return Periodic(round_, interval_s=interval_s, name="rollup-refresh")
