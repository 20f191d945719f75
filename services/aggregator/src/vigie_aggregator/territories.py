"""Which territory ids exist: a cached set, reloaded when a batch names one it does not know."""

from __future__ import annotations

from collections.abc import Set

import asyncpg

from vigie_aggregator import repository


class TerritoryCache:
    """The known territory ids of one process."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._known: set[str] = set()

    async def unknown(self, territory_ids: Set[str]) -> set[str]:
        """The ids that do not exist, after at most one reload (a new territory may just have
        been imported)."""
        missing = set(territory_ids - self._known)
        if missing:
            async with self._pool.acquire() as conn:
                self._known = await repository.known_territories(conn)
            missing -= self._known
        return missing
