"""The known-territory cache: loaded at start, refreshed in the background, early after a miss
(throttled and lenient for a request path, unthrottled and strict for a final verdict)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from vigie.platform.db import create_pool
from vigie.platform.known_territories import KnownTerritories

pytestmark = pytest.mark.connected

NEW = "QN99997X"


async def _add(db: asyncpg.Connection, territory_id: str) -> None:
    await db.execute(
        "INSERT INTO territories (territory_id, kind, name, code) VALUES ($1, 'qpv', 'Neuf', $1)",
        territory_id,
    )


async def test_loaded_at_start_and_refreshed_in_the_background(
    db: asyncpg.Connection, database_url: str
) -> None:
    pool = await create_pool(database_url)
    known = KnownTerritories(refresh_s=0.05)
    try:
        await known.start(pool)
        assert "QN09302M" in known
        assert NEW not in known
        loaded = len(known)
        await _add(db, NEW)
        for _ in range(100):
            if NEW in known:
                break
            await asyncio.sleep(0.02)
        assert NEW in known
        assert len(known) == loaded + 1
    finally:
        await known.stop()
        await pool.close()


async def test_refresh_after_miss_is_throttled(db: asyncpg.Connection, database_url: str) -> None:
    pool = await create_pool(database_url)
    known = KnownTerritories(refresh_s=3600, miss_refresh_s=3600)
    try:
        await known.start(pool)
        await _add(db, NEW)
        assert not await known.refresh_after_miss()  # loaded moments ago
        assert NEW not in known
    finally:
        await known.stop()
        await pool.close()


async def test_refresh_after_miss_reloads_and_never_raises(
    db: asyncpg.Connection, database_url: str
) -> None:
    pool = await create_pool(database_url)
    known = KnownTerritories(refresh_s=3600, miss_refresh_s=0)
    try:
        await known.start(pool)
        await _add(db, NEW)
        assert await known.refresh_after_miss()
        assert NEW in known
        await pool.close()
        assert not await known.refresh_after_miss()  # the old ids stay
        assert NEW in known
    finally:
        await known.stop()
        await pool.close()


async def test_unknown_reloads_on_every_miss_and_raises_when_it_cannot(
    db: asyncpg.Connection, database_url: str
) -> None:
    pool = await create_pool(database_url)
    known = KnownTerritories(refresh_s=3600, miss_refresh_s=3600)
    try:
        await known.start(pool)
        assert await known.unknown({"QN09302M"}) == set()
        assert await known.unknown({"QN09302M", NEW}) == {NEW}
        await _add(db, NEW)
        assert await known.unknown({"QN09302M", NEW}) == set()  # the throttle does not apply
        await pool.close()
        assert await known.unknown({NEW}) == set()  # known: no reload needed
        with pytest.raises(asyncpg.InterfaceError):
            await known.unknown({"QN00000X"})
    finally:
        await known.stop()
        await pool.close()
