"""The set of known territory ids, held in memory so that no request touches the database.

Loaded at start-up, refreshed every `refresh_s`; an id not found triggers an early refresh (at
most every `miss_refresh_s`), so territories imported while intake runs are accepted quickly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import asyncpg

_SELECT_IDS = "SELECT territory_id FROM territories"
_MISS_REFRESH_TIMEOUT_S = 1.0
_log = logging.getLogger(__name__)


class KnownTerritories:
    """`territory_id in known` answers from memory."""

    def __init__(self, *, refresh_s: float, miss_refresh_s: float = 5.0) -> None:
        self._pool: asyncpg.Pool | None = None
        self._refresh_s = refresh_s
        self._miss_refresh_s = miss_refresh_s
        self._ids: frozenset[str] = frozenset()
        self._loaded_at = 0.0
        self._task: asyncio.Task[None] | None = None

    def __contains__(self, territory_id: object) -> bool:
        return territory_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    async def start(self, pool: asyncpg.Pool) -> None:
        """Load the ids from `pool` now, then keep them fresh in the background."""
        self._pool = pool
        await self.refresh()
        self._task = asyncio.create_task(self._refresh_forever(), name="territory-refresh")

    async def stop(self) -> None:
        """Stop refreshing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def refresh(self) -> None:
        """Reload every id from the database."""
        if self._pool is None:
            raise RuntimeError("KnownTerritories.start() was not called")
        rows = await self._pool.fetch(_SELECT_IDS)
        self._ids = frozenset(row["territory_id"] for row in rows)
        self._loaded_at = time.monotonic()

    async def refresh_after_miss(self) -> bool:
        """Reload unless that was done moments ago; never raise, never wait long.
        True when the ids were reloaded."""
        if time.monotonic() - self._loaded_at < self._miss_refresh_s:
            return False
        try:
            await asyncio.wait_for(self.refresh(), _MISS_REFRESH_TIMEOUT_S)
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            _log.warning("territory refresh failed: %s", exc)
            self._loaded_at = time.monotonic()  # do not retry on every request
            return False
        return True

    async def _refresh_forever(self) -> None:
        """Reload periodically, keeping the old ids when the database is unreachable."""
        while True:
            await asyncio.sleep(self._refresh_s)
            try:
                await self.refresh()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                _log.warning("territory refresh failed, keeping %d ids: %s", len(self), exc)
