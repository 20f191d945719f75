"""The roll-up of the upper levels: equal to the counters once refreshed, never stale between
refreshes (changed days are read from the counters), rebuilt after a TRUNCATE."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from tests.reporting.conftest import BOURG, LANDY, SEMARD, Count, Reporting, add_counts
from vigie_reporting.periods import today_in_paris
from vigie_reporting.rollups import refresh

pytestmark = pytest.mark.connected

TODAY = today_in_paris()

# What the roll-up must hold: the counters summed up to every upper level.
EXPECTED = """
SELECT a.ancestor_id AS territory_id, c.day, c.category, sum(c.incidents) AS incidents,
       sum(c.complaint_plainte) AS plainte, sum(c.severity_3) AS severity_3,
       sum(c.target_personnel) AS personnel, sum(c.cost_eur) AS cost_eur
FROM incident_counters c
JOIN territory_ancestors a ON a.territory_id = c.territory_id
JOIN territories t ON t.territory_id = a.ancestor_id
WHERE t.kind IN ('pays', 'region', 'departement')
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""
EXPECTED_DAILY = """
SELECT day, territory_id, sum(incidents) AS incidents, sum(complaint_plainte) AS plainte
FROM incident_counters GROUP BY 1, 2 ORDER BY 1, 2
"""
ACTUAL_DAILY = "SELECT day, territory_id, incidents, plainte FROM reporting_daily ORDER BY 1, 2"
ACTUAL = """
SELECT territory_id, day, category, incidents, complaint_plainte AS plainte, severity_3,
       target_personnel AS personnel, cost_eur
FROM reporting_rollup ORDER BY 1, 2, 3
"""


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool of our own to run refreshes with."""
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    yield pool
    await pool.close()


async def refreshed(pool: asyncpg.Pool) -> int:
    """Run a refresh, waiting for the service's own one if it holds the lock."""
    for _ in range(200):
        done = await refresh(pool)
        if done is not None:
            return done
    raise AssertionError("the refresh lock was never free")


async def assert_rollups_exact(db: asyncpg.Connection) -> None:
    """Both roll-ups hold exactly what the counters add up to."""
    assert [dict(r) for r in await db.fetch(ACTUAL)] == [dict(r) for r in await db.fetch(EXPECTED)]
    assert [dict(r) for r in await db.fetch(ACTUAL_DAILY)] == [
        dict(r) for r in await db.fetch(EXPECTED_DAILY)
    ]


async def top_qpv(reporting: Reporting) -> tuple[str, int]:
    """The first QPV of the ranking by count, and its count."""
    first = (await reporting.get("/v1/rankings", limit=1)).json()["items"][0]
    return first["territory_id"], first["count"]


async def gap_by_qpv(reporting: Reporting) -> dict[str, int]:
    """Incidents per QPV of the 93 in the complaint gap."""
    gap = await reporting.get("/v1/complaint-gap", group_by="territory", territory_id="DEP-93")
    return {g["key"]: g["incidents"] for g in gap.json()["groups"]}


async def fr_total(reporting: Reporting) -> int:
    """France's total over the default period, as the API says."""
    body = (await reporting.get("/v1/territories/FR/summary")).json()
    return int(body["total"])


async def test_the_rollup_equals_the_counters(reporting: Reporting, pool: asyncpg.Pool) -> None:
    await add_counts(
        reporting.db,
        [
            Count(LANDY, TODAY, "BIE-TAG", "hlm-a", 5, plainte=2, cost_eur=10),
            Count(LANDY, TODAY, "BIE-TAG", "hlm-b", 2, severity=3),
            Count(SEMARD, TODAY - timedelta(days=3), "PER-PHY", "hlm-a", 4, target="personnel"),
            Count("QN09328M", TODAY, "TRA-DEA", "hlm-a", 6),  # spans four communes
            Count(BOURG, TODAY - timedelta(days=400), "ENV-DEP", "hlm-c", 9),
        ],
    )
    await refreshed(pool)
    await assert_rollups_exact(reporting.db)
    expected = await reporting.db.fetch(EXPECTED)
    assert {r["territory_id"] for r in expected} >= {"FR", "REG-11", "DEP-93", "REG-84", "DEP-01"}
    assert await reporting.db.fetchval("SELECT count(*) FROM reporting_dirty_days") == 0
    assert await fr_total(reporting) == 17
    assert await top_qpv(reporting) == (LANDY, 7)


async def test_answers_do_not_wait_for_the_next_refresh(
    reporting: Reporting, pool: asyncpg.Pool
) -> None:
    await add_counts(reporting.db, [Count(LANDY, TODAY, "BIE-TAG", "hlm-a", 5)])
    await refreshed(pool)
    assert await fr_total(reporting) == 5
    # New day, a changed row, a deleted one: all visible at once, before any refresh.
    await add_counts(reporting.db, [Count(SEMARD, TODAY - timedelta(days=1), "BIE-TAG", "x", 7)])
    await reporting.db.execute("UPDATE incident_counters SET incidents = 8 WHERE landlord_id = 'x'")
    assert await fr_total(reporting) == 13
    assert await top_qpv(reporting) == (SEMARD, 8)
    region = (await reporting.get("/v1/territories/REG-11/summary")).json()
    assert region["by_category"]["BIE-TAG"] == 13
    series = (await reporting.get("/v1/territories/DEP-93/timeseries")).json()
    assert series["total"] == 13
    gap = (await reporting.get("/v1/complaint-gap", territory_id="DEP-93")).json()
    assert gap["total"]["incidents"] == 13
    assert await gap_by_qpv(reporting) == {LANDY: 5, SEMARD: 8}
    await reporting.db.execute("DELETE FROM incident_counters WHERE landlord_id = 'hlm-a'")
    assert await fr_total(reporting) == 8
    await refreshed(pool)
    assert await fr_total(reporting) == 8
    assert await top_qpv(reporting) == (SEMARD, 8)
    assert await gap_by_qpv(reporting) == {SEMARD: 8}
    await assert_rollups_exact(reporting.db)


async def test_a_truncate_rebuilds_the_rollup(reporting: Reporting, pool: asyncpg.Pool) -> None:
    await add_counts(reporting.db, [Count(LANDY, TODAY, "BIE-TAG", "hlm-a", 5)])
    await refreshed(pool)
    await reporting.db.execute("TRUNCATE incident_counters")
    assert await reporting.db.fetchval("SELECT full_rebuild FROM reporting_rollup_state")
    assert await fr_total(reporting) == 0  # read from the (empty) counters meanwhile
    await add_counts(reporting.db, [Count(BOURG, TODAY, "ENV-DEP", "hlm-c", 6)])
    assert await refreshed(pool) in (-1, 0)  # the service may have rebuilt it first
    assert await fr_total(reporting) == 6
    await assert_rollups_exact(reporting.db)
