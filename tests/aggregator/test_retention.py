"""Retention of incident details against a real PostgreSQL: purged incidents lose residence and
exact time, the counters do not move, a rebuild finds them equal, and a late duplicate,
correction or withdrawal of a purged incident changes no count."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.support.aggregator import (
    CATEGORIES,
    TERRITORIES,
    apply,
    apply_in_batches,
    model_counters,
    state_event,
    stored_counters,
    withdrawal,
)
from vigie.platform.retention import PARIS, cutoff
from vigie_aggregator.rebuild import rebuild_counters
from vigie_aggregator.retention import purge, purge_expired
from vigie_cli.commands.retention import purge_details


def test_the_cutoff_is_the_same_day_n_years_before() -> None:
    assert cutoff(date(2026, 12, 1), 5) == date(2021, 12, 1)
    assert cutoff(date(2028, 2, 29), 5) == date(2023, 2, 28)
    assert cutoff(date(2028, 2, 29), 4) == date(2024, 2, 29)


def scenario(rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    """60 incidents six years old and 60 of last month, some corrected, with residences."""
    events = []
    for number in range(120):
        base = now - timedelta(days=6 * 366 if number % 2 == 0 else 20)
        landlord = rng.choice(("L1", "L2"))
        for revision in range(1, rng.choice((1, 2, 3)) + 1):
            event = state_event(
                incident_id=f"I{number}",
                revision=revision,
                landlord_id=landlord,
                territory_id=rng.choice(TERRITORIES),
                category=rng.choice(CATEGORIES),
                occurred_at=base + timedelta(days=rng.randrange(5), hours=rng.randrange(24)),
                severity=rng.randint(1, 4),
                cost_eur=rng.choice((None, 12.5, 1234.56)),
            )
            event["residence_id"] = f"RES-{number}"
            events.append(event)
    rng.shuffle(events)
    return events


def late_events(incidents: list[asyncpg.Record], now: datetime) -> list[dict[str, Any]]:
    """For each purged incident, a newer correction moving it elsewhere, or a withdrawal."""
    late = []
    for i, row in enumerate(incidents):
        if i % 3 == 0:
            late.append(withdrawal(incident_id=row["incident_id"], revision=50,
                                   landlord_id=row["landlord_id"]))  # fmt: skip
        else:
            late.append(
                state_event(
                    incident_id=row["incident_id"],
                    revision=50,
                    landlord_id=row["landlord_id"],
                    territory_id=TERRITORIES[-1],
                    category="PER-VER",
                    occurred_at=now - timedelta(days=2),
                )
            )
    return late


@pytest.mark.connected
async def test_purge_keeps_counters_exact_and_freezes_purged_incidents(
    pool: asyncpg.Pool,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    events = scenario(random.Random(13), now)
    await apply_in_batches(pool, events, 40)
    live = await stored_counters(pool)
    assert live == model_counters(events)
    before = cutoff(datetime.now(PARIS).date(), 5)
    old = await pool.fetch(
        "SELECT landlord_id, incident_id FROM incidents WHERE day < $1 ORDER BY 2", before
    )
    assert len(old) == 60

    # The CLI's dry run counts them and purges nothing.
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    assert await purge_details(years=5, dry_run=True) == 60
    assert "60 incidents" in capsys.readouterr().out
    assert await pool.fetchval("SELECT count(*) FROM incidents WHERE purged_at IS NOT NULL") == 0

    # The aggregator's batches (7 at a time here), with progress.
    progress: list[int] = []
    assert await purge(pool, before, limit=7, on_progress=progress.append) == 60
    assert progress == [7 * k for k in range(1, 9)] + [60]
    rows = await pool.fetch("SELECT * FROM incidents ORDER BY incident_id")
    for row in rows:
        if row["day"] < before:
            assert row["purged_at"] is not None
            assert row["residence_id"] is None
            assert row["occurred_at"] is None
            assert row["territory_id"] is not None  # what the counters hold stays
        else:
            assert row["purged_at"] is None
            assert row["residence_id"] is not None
            assert row["occurred_at"] is not None
    assert await stored_counters(pool) == live

    # Nothing left to purge: the CLI and the aggregator's round find nothing.
    assert await purge_details(years=5, dry_run=False) == 0
    assert await purge_expired(pool, years=5) == 0
    # A purge on demand is an administrative action: in the audit log, a dry run is not.
    logged = await pool.fetch(
        "SELECT actor, details FROM audit_log WHERE action = 'retention.purge'"
    )
    assert len(logged) == 1
    assert logged[0]["actor"].startswith("cli:")

    # Replayed events (duplicates) and late corrections or withdrawals of purged incidents move
    # nothing; a correction of a kept incident still counts.
    kept = next(e for e in events if e["incident_id"] == rows[-1]["incident_id"])
    assert rows[-1]["purged_at"] is None
    moved = {**kept, "event_id": "00000000-0000-4000-8000-000000000001", "revision": 60,
             "type": "incident.corrected", "category": "TRA-DEA"}  # fmt: skip
    await apply_in_batches(pool, [*events, *late_events(old, now)], 25)
    assert await stored_counters(pool) == live
    await apply(pool, [moved])
    assert await stored_counters(pool) == model_counters([*events, moved])
    assert await pool.fetchval(
        "SELECT count(*) FROM incidents WHERE purged_at IS NOT NULL AND revision = 50"
    ) == 0  # fmt: skip

    # A rebuild from the stored incidents, purged ones included, equals the live counters.
    async with pool.acquire() as conn:
        result = await rebuild_counters(conn)
    assert result.differing == 0
    assert await stored_counters(pool) == model_counters([*events, moved])
