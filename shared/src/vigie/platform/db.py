"""PostgreSQL connections: one asyncpg pool per process, opened in the app's lifespan."""

from __future__ import annotations

import asyncpg

Pool = asyncpg.Pool


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> Pool:
    """A pool whose sessions run in UTC with a name that shows in pg_stat_activity."""
    return await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        command_timeout=60,
        server_settings={"timezone": "UTC", "application_name": "vigie"},
    )


async def check_database(pool: Pool) -> None:
    """Raise unless the database answers a trivial query."""
    async with pool.acquire(timeout=2) as conn:
        await conn.fetchval("SELECT 1", timeout=2)
