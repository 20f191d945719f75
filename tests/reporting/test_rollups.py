"""The roll-ups of the upper levels, kept from counters.changed.v1: equal to the counters once
refreshed, never staler than what reporting heard between refreshes (announced days are read
from the counters), told of `vigie rebuild`'s corrections through the aggregator's outbox, and
rebuilt in full when reporting may have missed changes (no committed offset, a message it
cannot read), by chunks of days that each end in time, without losing a change made meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from tests.reporting.conftest import (
    BOURG,
    LANDY,
    NO_ALERTS_SERVICE,
    SEMARD,
    Count,
    Reporting,
    add_counts,
    heard_until,
    publish,
    running_reporting,
)
from vigie_aggregator import repository as aggregator_repository
from vigie_aggregator.notify import change_messages
from vigie_aggregator.rebuild import rebuild_counters
from vigie_reporting import repository
from vigie_reporting.changes import read_messages, record
from vigie_reporting.periods import today_in_paris
from vigie_reporting.rollups import ChunkSize, refresh

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


async def rollups_rebuilt_at(db: asyncpg.Connection) -> datetime | None:
    """When the roll-ups were last rebuilt in full."""
    value: datetime | None = await db.fetchval("SELECT rebuilt_at FROM reporting_rollup_state")
    return value


def asked(caplog: pytest.LogCaptureFixture) -> bool:
    """Whether reporting has asked for a full rebuild for want of committed offsets."""
    return any("a full rebuild of the roll-ups is asked" in r.message for r in caplog.records)


async def rebuilt_after(db: asyncpg.Connection, moment: datetime | None) -> bool:
    """Whether a full rebuild has committed since `moment` (waiting for it up to 20 s)."""
    for _ in range(400):
        rebuilt = await rollups_rebuilt_at(db)
        if rebuilt is not None and (moment is None or rebuilt > moment):
            return True
        await asyncio.sleep(0.05)
    return False


async def test_the_rollup_equals_the_counters(reporting: Reporting, pool: asyncpg.Pool) -> None:
    await reporting.announce_counts(
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
    await reporting.announce_counts([Count(LANDY, TODAY, "BIE-TAG", "hlm-a", 5)])
    await refreshed(pool)
    assert await fr_total(reporting) == 5
    # New day, a changed row, a deleted one: visible as soon as announced, before any refresh.
    yesterday = TODAY - timedelta(days=1)
    await reporting.announce_counts([Count(SEMARD, yesterday, "BIE-TAG", "x", 7)])
    await reporting.db.execute("UPDATE incident_counters SET incidents = 8 WHERE landlord_id = 'x'")
    await reporting.announce([(SEMARD, yesterday)])
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
    await reporting.announce([(LANDY, TODAY)])
    assert await fr_total(reporting) == 8
    await refreshed(pool)
    assert await fr_total(reporting) == 8
    assert await top_qpv(reporting) == (SEMARD, 8)
    assert await gap_by_qpv(reporting) == {SEMARD: 8}
    await assert_rollups_exact(reporting.db)


async def test_a_day_heard_twice_or_late_is_harmless(
    db: asyncpg.Connection, pool: asyncpg.Pool
) -> None:
    """At least once, in any order: the handler's database path, called directly."""
    await add_counts(db, [Count(LANDY, TODAY, "BIE-TAG", "hlm-a", 5)])
    assert await refreshed(pool) == -1  # the first build
    await add_counts(db, [Count(SEMARD, TODAY, "BIE-TAG", "hlm-a", 3)])
    newer = datetime(2026, 11, 26, 1, 2, 3, 456000, tzinfo=UTC)
    older = newer - timedelta(seconds=5)
    message = change_messages([(SEMARD, TODAY)], committed_at=newer)
    for _ in range(2):  # delivered twice
        await record(db, read_messages(message))
    await record(db, read_messages(change_messages([(LANDY, TODAY)], committed_at=older)))
    assert await db.fetchval("SELECT committed_at FROM reporting_freshness") == newer
    assert await refreshed(pool) == 1
    await assert_rollups_exact(db)


async def test_a_rebuild_is_announced_and_folded_in(
    reporting: Reporting, pool: asyncpg.Pool
) -> None:
    """`vigie rebuild` corrects drifted counters; the days it changed reach the roll-ups through
    the aggregator's outbox and counters.changed.v1, like a batch's."""
    await reporting.announce_counts([Count(LANDY, TODAY, "BIE-TAG", "hlm-a", 5)])
    await refreshed(pool)
    # The stored incidents say 3 at Landy today (the counters drifted) and 4 in the Ain.
    ten_days_ago = TODAY - timedelta(days=10)
    await add_incidents(reporting.db, LANDY, TODAY, "BIE-TAG", "hlm-a", 3)
    await add_incidents(reporting.db, BOURG, ten_days_ago, "ENV-DEP", "hlm-c", 4)
    async with pool.acquire() as conn:
        result = await rebuild_counters(conn)
    assert result.differing == 3  # Landy's old row and new one, the Ain's new one
    # Until it is announced, the upper levels answer as of before the rebuild.
    assert await fr_total(reporting) == 5
    async with pool.acquire() as conn, conn.transaction():
        entries = await aggregator_repository.outbox_leftovers(conn, older_than_s=0)
        assert sorted(pair for entry in entries for pair in entry.changes) == [
            (BOURG, ten_days_ago),
            (LANDY, TODAY),
        ]
        await reporting.announce([pair for entry in entries for pair in entry.changes])
        await aggregator_repository.delete_outbox(conn, [entry.id for entry in entries])
    assert await fr_total(reporting) == 7
    await refreshed(pool)
    await assert_rollups_exact(reporting.db)


async def add_incidents(
    db: asyncpg.Connection, territory: str, day: object, category: str, landlord: str, n: int
) -> None:
    """Stored incident states, as the aggregator keeps them (what a rebuild counts)."""
    await db.execute(
        """
        INSERT INTO incidents (landlord_id, incident_id, revision, event_id, territory_id,
                               category, occurred_at, day, severity, target, complaint)
        SELECT $4::text, $1::text || '-' || $3::text || '-' || g, 1, gen_random_uuid(), $1, $3,
               ($2::date + time '12:00') AT TIME ZONE 'Europe/Paris', $2, 2, 'patrimoine',
               'aucune'
        FROM generate_series(1, $5::int) AS g
        """,
        territory,
        day,
        category,
        landlord,
        n,
    )


async def test_a_message_it_cannot_read_rebuilds_the_rollups(
    reporting: Reporting, pool: asyncpg.Pool
) -> None:
    await reporting.announce_counts([Count(LANDY, TODAY, "BIE-TAG", "hlm-a", 5)])
    await refreshed(pool)
    before = await rollups_rebuilt_at(reporting.db)
    await publish(reporting.bootstrap, [b"not json", b'{"version": 2, "changes": "all"}'])
    assert await rebuilt_after(reporting.db, before)
    # The consumer went on: the next change is heard.
    await reporting.announce_counts([Count(SEMARD, TODAY, "BIE-TAG", "hlm-a", 2)])
    assert await fr_total(reporting) == 7


async def test_a_reporting_that_was_down_resumes_where_it_stopped(
    database_url: str,
    kafka_bootstrap: str,
    db: asyncpg.Connection,
    pool: asyncpg.Pool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Its consumer group resumes from its committed offset: what was announced meanwhile is
    heard, with no full rebuild. A group with no committed offset (first start, or offsets
    expired) rebuilds the roll-ups in full."""

    def started(group_id: str = "reporting") -> AbstractAsyncContextManager[Reporting]:
        return running_reporting(
            database_url=database_url,
            kafka_bootstrap=kafka_bootstrap,
            db=db,
            alerts_url=NO_ALERTS_SERVICE,
            group_id=group_id,
        )

    async with started() as reporting:
        await reporting.announce_counts([Count(LANDY, TODAY, "BIE-TAG", "hlm-a", 5)])
        # The group's first start has no committed offset: a full rebuild is asked.
        assert asked(caplog)
        await refreshed(pool)
        built = await rollups_rebuilt_at(db)
        assert built is not None
    caplog.clear()
    # Counted and announced while reporting is down.
    await add_counts(db, [Count(SEMARD, TODAY, "BIE-TAG", "hlm-a", 2)])
    missed = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    await publish(kafka_bootstrap, change_messages([(SEMARD, TODAY)], committed_at=missed))
    async with started() as reporting:
        await heard_until(db, missed)
        assert await fr_total(reporting) == 7
        await refreshed(pool)
        assert await rollups_rebuilt_at(db) == built
        await assert_rollups_exact(db)
    assert not asked(caplog)
    async with started(group_id="reporting-new") as reporting:
        assert asked(caplog)
        assert await rebuilt_after(db, built)
        assert await fr_total(reporting) == 7


async def test_a_restart_with_nothing_announced_meanwhile_rebuilds_nothing(
    database_url: str,
    kafka_bootstrap: str,
    db: asyncpg.Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The first start commits where it reads from once it has asked for its rebuild, so a
    restart before any message does not ask again."""
    for first in (True, False):
        async with running_reporting(
            database_url=database_url,
            kafka_bootstrap=kafka_bootstrap,
            db=db,
            alerts_url=NO_ALERTS_SERVICE,
            group_id="reporting-quiet",
        ):
            pass  # the start waits for the offsets' check
        assert asked(caplog) is first
        caplog.clear()


# Sixty days of counters at Landy and Sémard, a few rows a day.
SPREAD = [
    Count(qpv, TODAY - timedelta(days=d), category, landlord, 1 + (d + n) % 7, plainte=d % 2)
    for d in range(60)
    for n, (qpv, category, landlord) in enumerate(
        [(LANDY, "BIE-TAG", "hlm-a"), (SEMARD, "BIE-TAG", "hlm-b"), (SEMARD, "PER-PHY", "hlm-a")]
    )
]


async def change_and_tell(db: asyncpg.Connection, n: int) -> None:
    """What an aggregator batch and reporting's handler do: change the counters (a new row, and
    one more incident on an old day), then record the days changed."""
    day, other = TODAY - timedelta(days=59), TODAY - timedelta(days=n % 60)
    await add_counts(db, [Count(LANDY, other, "ENV-DEP", f"hlm-new-{n}", 2, plainte=1)])
    await db.execute(
        "UPDATE incident_counters SET incidents = incidents + 1, severity_2 = severity_2 + 1,"
        " target_patrimoine = target_patrimoine + 1, complaint_aucune = complaint_aucune + 1"
        " WHERE territory_id = $1 AND day = $2 AND landlord_id = 'hlm-a'",
        LANDY,
        day,
    )
    at = datetime.now(UTC)
    await record(
        db, read_messages(change_messages([(LANDY, day), (LANDY, other)], committed_at=at))
    )


async def test_a_full_rebuild_in_chunks_loses_no_change_made_meanwhile(
    db: asyncpg.Connection, pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    """One day per transaction while counters keep changing: each chunk recomputes its days from
    its own snapshot, a change committed after it is announced after it and stays dirty."""
    await add_counts(db, SPREAD)
    assert await refreshed(pool) == -1
    await assert_rollups_exact(db)
    await repository.ask_full_rebuild(db)
    caplog.set_level("INFO", logger="vigie_reporting.rollups")
    rebuild = asyncio.create_task(refresh(pool, chunk=ChunkSize(days=1, max_days=1)))
    changes = 0
    while not rebuild.done() and changes < 20:  # bounded: a rebuild ends once they stop
        await change_and_tell(db, changes)
        changes += 1
        await asyncio.sleep(0.01)
    assert changes >= 3  # each began while the rebuild ran
    assert await rebuild == -1
    assert "full rebuild of the roll-ups: 60 days to recompute" in caplog.text
    assert "days recomputed in" in caplog.text
    await refreshed(pool)  # what was announced meanwhile
    await assert_rollups_exact(db)
    assert await db.fetchval("SELECT full_rebuild FROM reporting_rollup_state") is False


async def test_a_chunk_that_runs_out_of_time_is_retried_smaller(
    database_url: str, db: asyncpg.Connection
) -> None:
    """The refresh's statements run under the pool's command timeout (1 s here): a chunk that
    exceeds it is rolled back, its days stay dirty and are tried again in smaller chunks; only a
    single day out of time fails the round, and the next round finishes the rebuild."""
    await add_counts(db, SPREAD)
    stuck = TODAY - timedelta(days=40)  # the 20th day from the first
    async with asyncpg.create_pool(database_url, min_size=1, max_size=1, command_timeout=1) as pool:
        assert await refreshed(pool) == -1
        await repository.ask_full_rebuild(db)
        async with db.transaction():
            # Another transaction holds that day's reporting_daily rows: deleting them waits.
            await db.execute("SELECT 1 FROM reporting_daily WHERE day = $1 FOR UPDATE", stuck)
            with pytest.raises(TimeoutError):
                await refresh(pool, chunk=ChunkSize(days=31))
        # The days before it were folded in, that one and the later ones are still dirty.
        dirty = await db.fetchval("SELECT min(day) FROM reporting_dirty_days")
        assert dirty == stuck
        assert await refresh(pool) == 41  # that day to today
    await assert_rollups_exact(db)


def test_chunks_aim_at_a_duration() -> None:
    chunk = ChunkSize(days=31, target_s=5.0, max_days=366)
    chunk.took(0.1)
    assert chunk.days == 62  # at most twofold
    chunk.took(10.0)
    assert chunk.days == 31
    for _ in range(10):
        chunk.took(0.01)
    assert chunk.days == 366
    chunk = ChunkSize(days=3)
    assert chunk.shrink()
    assert chunk.days == 1
    assert not chunk.shrink()
