"""`vigie rebuild` against a real database."""

from __future__ import annotations

import random
from pathlib import Path

import asyncpg
import pytest

from tests.support.aggregator import (
    apply_in_batches,
    model_counters,
    random_scenario,
    stored_counters,
)
from vigie_cli.commands.rebuild import rebuild
from vigie_cli.errors import CliError

pytestmark = pytest.mark.connected


async def test_rebuild_leaves_exact_counters_as_they_were(
    pool: asyncpg.Pool,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """After live counting, a rebuild finds nothing to correct and changes nothing."""
    events = random_scenario(random.Random(4), incidents=500)
    await apply_in_batches(pool, events, 100)
    live = await stored_counters(pool)
    assert live == model_counters(events)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    await rebuild()
    assert await stored_counters(pool) == live
    assert "they equal the live counters" in capsys.readouterr().out


async def test_rebuild_without_a_database_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No DATABASE_URL and no running Vigie: a clear CliError."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    with pytest.raises(CliError, match="DATABASE_URL"):
        await rebuild()
