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


class DatabaseReadOnly(RuntimeError):
    """The database answers but refuses writes (a read-only server or default)."""


async def check_database(pool: Pool) -> None:
    """Raise unless the database answers and accepts writes: a read-only database is an outage
    for readiness too (every service writes something)."""
    async with pool.acquire(timeout=2) as conn:
        read_only = await conn.fetchval("SHOW default_transaction_read_only", timeout=2)
    if read_only == "on" or read_only is None:
        raise DatabaseReadOnly("refusing writes (read-only: default_transaction_read_only is on)")
