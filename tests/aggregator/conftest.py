"""Fixtures of the aggregator tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from vigie.platform.db import create_pool


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh migrated database."""
    pool = await create_pool(database_url, min_size=1, max_size=4)
    yield pool
    await pool.close()
