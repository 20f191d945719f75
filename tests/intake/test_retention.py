"""Retention of Open311 request details against a real PostgreSQL: requests older than the
retention lose description and coordinates, keep their row; recent ones are untouched; the
`vigie retention purge` command counts them in a dry run, then purges them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from vigie_cli.commands.retention import purge_details
from vigie_intake import retention
from vigie_intake.repository import INSERT_OPEN311_REQUEST

pytestmark = pytest.mark.connected


async def add_request(db: asyncpg.Connection, number: int, *, age: timedelta) -> None:
    await db.execute(
        INSERT_OPEN311_REQUEST,
        f"SR-{number}",
        "hlm-a",
        uuid.uuid4(),
        "BIE-TAG",
        "QN09337M",
        f"Mme Martin a vu les tags ({number})",
        48.91,
        2.36,
        datetime.now(UTC) - age,
    )


async def test_old_requests_lose_their_details_and_keep_their_row(
    db: asyncpg.Connection,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for number in range(9):
        await add_request(db, number, age=timedelta(days=6 * 366 if number < 5 else 30))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    assert await purge_details(years=5, dry_run=True) == 5
    assert "5 Open311 requests" in capsys.readouterr().out
    assert await db.fetchval("SELECT count(*) FROM open311_requests WHERE description IS NULL") == 0

    before = datetime.now(UTC).date()  # everything older than today: the recent ones too
    assert await retention.due(db, before - timedelta(days=5 * 366)) == 5
    assert await purge_details(years=5, dry_run=False) == 5
    rows = {r["service_request_id"]: r for r in await db.fetch("SELECT * FROM open311_requests")}
    assert len(rows) == 9
    for number in range(9):
        row = rows[f"SR-{number}"]
        if number < 5:
            assert (row["description"], row["lat"], row["long"]) == (None, None, None)
        else:
            assert row["description"] == f"Mme Martin a vu les tags ({number})"
            assert row["lat"] == 48.91
        assert row["territory_id"] == "QN09337M"  # the request itself stays

    # In batches (2 at a time), with progress; nothing left afterwards.
    progress: list[int] = []
    assert await retention.purge(db, before, limit=2, on_progress=progress.append) == 4
    assert progress == [2, 4]
    assert await retention.due(db, before) == 0
