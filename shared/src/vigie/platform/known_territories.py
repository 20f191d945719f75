"""The known territory ids of a process, held in memory: no request or event touches the
database to ask whether a territory exists.

Loaded at start-up, reloaded every `refresh_s` in the background (a `Periodic`), and early when
an id is missing, so that a territory imported while the service runs is known at once. Two
ways to handle a miss, for the two kinds of callers:
- `refresh_after_miss()`, for a request path (intake): at most one reload per `miss_refresh_s`,
  bounded in time, never raises; an answer from the ids held is better than a slow one.
- `unknown(ids)`, for a final verdict (the aggregator dead-letters what it names): always
  reloads when an id is missing, and a failed reload raises rather than condemn valid events.
Territories are never deleted, so a reload only ever adds ids."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Set
from importlib.resources import files
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from vigie.platform.background import Periodic

KNOWN_TERRITORIES = (
    files("vigie.platform").joinpath("sql", "known_territories.sql").read_text(encoding="utf-8")
)
REFRESH_S = 60.0
MISS_REFRESH_S = 5.0
# A request waits this long at most for the reload its miss triggered.
MISS_REFRESH_TIMEOUT_S = 1.0
_log = logging.getLogger(__name__)

# A connection of its own or one borrowed from a pool.
Conn: TypeAlias = "asyncpg.Connection | PoolConnectionProxy[asyncpg.Record]"


async def territory_ids(conn: Conn) -> frozenset[str]:
    """Every territory id an incident may name."""
    return frozenset(row[0] for row in await conn.fetch(KNOWN_TERRITORIES))


class KnownTerritories:
    """`territory_id in known` answers from memory."""

    def __init__(
        self,
        *,
        refresh_s: float = REFRESH_S,
        miss_refresh_s: float = MISS_REFRESH_S,
        miss_timeout_s: float = MISS_REFRESH_TIMEOUT_S,
    ) -> None:
        self._pool: asyncpg.Pool | None = None
        self._ids: frozenset[str] = frozenset()
        self._loaded_at = float("-inf")  # monotonic time at which the last load started
        self._miss_refresh_s = miss_refresh_s
        self._miss_timeout_s = miss_timeout_s
        self._miss_lock = asyncio.Lock()
        self._periodic = Periodic(
            self.refresh, interval_s=refresh_s, first_delay_s=refresh_s, name="known-territories"
        )

    def __contains__(self, territory_id: object) -> bool:
        return territory_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    async def start(self, pool: asyncpg.Pool) -> None:
        """Load the ids from `pool` now, then keep them fresh in the background."""
        self._pool = pool
        await self.refresh()
        self._periodic.start()

    async def stop(self) -> None:
        """Stop refreshing."""
        await self._periodic.stop()

    async def refresh(self) -> None:
        """Reload every id from the database; raises when it cannot (the old ids stay)."""
        if self._pool is None:
            raise RuntimeError("KnownTerritories.start() was not called")
        started = time.monotonic()
        async with self._pool.acquire() as conn:
            self._ids = await territory_ids(conn)
        self._loaded_at = started

    async def refresh_after_miss(self) -> bool:
        """Reload unless that was done less than `miss_refresh_s` ago; never raise, never wait
        longer than `miss_timeout_s`. True when the ids were reloaded since the miss."""
        missed_at = time.monotonic()
        if missed_at - self._loaded_at < self._miss_refresh_s:
            return False
        try:
            async with asyncio.timeout(self._miss_timeout_s), self._miss_lock:
                if self._loaded_at >= missed_at:  # another miss reloaded while this one waited
                    return True
                await self.refresh()
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            _log.warning("territory refresh failed, keeping %d ids: %s", len(self), exc)
            self._loaded_at = time.monotonic()  # do not retry on every request
            return False
        return True

    async def unknown(self, ids: Set[str]) -> set[str]:
        """The ids that do not exist, after one reload when some are missing (a territory may
        just have been imported). A failed reload raises."""
        missing = set(ids - self._ids)
        if missing:
            await self.refresh()
            missing -= self._ids
        return missing
