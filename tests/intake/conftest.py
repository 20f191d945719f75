"""Intake fixtures: the app in-process against the real broker and database, API keys (helpers
in tests/support/intake.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from tests.support.intake import KeyMaker, intake_settings, running_intake
from vigie.platform.auth import create_key


@pytest.fixture
async def intake(database_url: str, kafka_bootstrap: str) -> AsyncIterator[httpx.AsyncClient]:
    """A running intake on a fresh database and broker."""
    settings = intake_settings(database_url=database_url, bootstrap=kafka_bootstrap)
    async with running_intake(settings) as client:
        yield client


@pytest.fixture
def new_key(db: asyncpg.Connection) -> KeyMaker:
    """Create an API key: `await new_key("landlord", landlord_id="HLM-93")` → (key_id, token)."""

    async def make(role: str, **kwargs: object) -> tuple[str, str]:
        return await create_key(db, role=role, **kwargs)  # type: ignore[arg-type]

    return make
