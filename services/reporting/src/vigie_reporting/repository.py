"""Reporting's SQL (the files of `sql/`), run on a connection the caller holds, so that a caller
can wrap several statements in one transaction. Rows come back as plain values. No access
decision here: callers pass the landlord scope they were granted.

Optional filters are parameters written `($n IS NULL OR …)`; the pool plans every statement
with its values (`plan_cache_mode = force_custom_plan`, see `app.open_pool`), so those that do
not apply fold away, and so does the reporting_daily branch of a statement reading the
counters."""

from __future__ import annotations

from datetime import date, datetime
from importlib.resources import files
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from vigie_reporting.periods import Bucket, Period

# A connection of its own or one borrowed from a pool.
Conn: TypeAlias = "asyncpg.Connection | PoolConnectionProxy[asyncpg.Record]"


def sql(name: str) -> str:
    """The text of one of the package's SQL files."""
    return files("vigie_reporting").joinpath("sql", name).read_text(encoding="utf-8")


TERRITORY = sql("territory.sql")
FRESHNESS = sql("freshness.sql")
WITHIN_ANY = sql("within_any.sql")
INSIDE = sql("inside.sql")
TERRITORIES = sql("territories.sql")
TERRITORY_NAMES = sql("territory_names.sql")
SUMMARY = sql("summary.sql")
SUMMARY_ROLLUP = sql("summary_rollup.sql")
TIMESERIES = sql("timeseries.sql")
TIMESERIES_ROLLUP = sql("timeseries_rollup.sql")
GAP_BY_CATEGORY = sql("gap_by_category.sql")
GAP_BY_CATEGORY_ROLLUP = sql("gap_by_category_rollup.sql")
GAP_BY_TERRITORY = sql("gap_by_territory.sql")
GAP_BY_TERRITORY_DAILY = sql("gap_by_territory_daily.sql")
GAP_BY_LANDLORD = sql("gap_by_landlord.sql")
RANKING_QPV = sql("ranking_qpv.sql")
RANKING_ANCESTORS = sql("ranking_ancestors.sql")
EXPORT_QPV = sql("export_qpv.sql")
EXPORT_ANCESTORS = sql("export_ancestors.sql")
EXPORT_TERRITORIES = sql("export_territories.sql")
TERRITORY_TOTAL = sql("territory_total.sql")
# The roll-ups' upkeep (vigie_reporting.rollups) and what the topic tells (vigie_reporting.changes).
REFRESH_LOCK = sql("refresh_lock.sql")
REFRESH_UNLOCK = sql("refresh_unlock.sql")
ROLLUP_STATE = sql("rollup_state.sql")
ROLLUP_STAMP = sql("rollup_stamp.sql")
ROLLUP_DELETE = sql("rollup_delete.sql")
ROLLUP_INSERT = sql("rollup_insert.sql")
DAILY_DELETE = sql("daily_delete.sql")
DAILY_INSERT = sql("daily_insert.sql")
DIRTY_DAYS_TAKE = sql("dirty_days_take.sql")
DIRTY_DAYS_ALL = sql("dirty_days_all.sql")
DIRTY_DAYS_COUNT = sql("dirty_days_count.sql")
DIRTY_DAYS_ADD = sql("dirty_days_add.sql")
FRESHNESS_HEARD = sql("freshness_heard.sql")
FULL_REBUILD_ASK = sql("full_rebuild_ask.sql")
DATA_VERSION = sql("data_version.sql")
VERSIONS_BUMP = sql("versions_bump.sql")
GAP_BY_ANCESTOR = sql("gap_by_ancestor.sql")
GAP_BY_ANCESTOR_DAILY = sql("gap_by_ancestor_daily.sql")


# --- Reference and freshness -------------------------------------------------------------------


async def territory(conn: Conn, territory_id: str) -> dict[str, Any] | None:
    """A territory with the answer's `as_of` and the roll-ups' state, or None if unknown."""
    row = await conn.fetchrow(TERRITORY, territory_id)
    return dict(row) if row else None


async def freshness(conn: Conn) -> dict[str, Any]:
    """`as_of`, whether the roll-ups are built, and the days they have not folded in yet."""
    row = await conn.fetchrow(FRESHNESS)
    assert row is not None  # a SELECT without FROM returns its row
    return dict(row)


async def data_version(conn: Conn, territory_ids: list[str]) -> dict[str, Any]:
    """What polled answers on territories (distinct) are computed from: their `version`,
    `rebuilt_at`, and `known` (whether they all exist)."""
    row = await conn.fetchrow(DATA_VERSION, territory_ids)
    assert row is not None  # two one-row tables
    return dict(row)


async def is_within_any(conn: Conn, territory_id: str, ancestors: frozenset[str]) -> bool:
    """Whether the territory is one of `ancestors` or inside one of them."""
    return bool(await conn.fetchval(WITHIN_ANY, territory_id, sorted(ancestors)))


async def inside(conn: Conn, territory_id: str, candidates: list[str]) -> set[str]:
    """Those of `candidates` that are `territory_id` or lie inside it."""
    rows = await conn.fetch(INSIDE, territory_id, candidates)
    return {r["territory_id"] for r in rows}


async def territories(
    conn: Conn,
    *,
    kind: str | None,
    q: str | None,
    departement: str | None,
    within: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Territories matching the filters, biggest levels first, then by name."""
    rows = await conn.fetch(TERRITORIES, kind, q, departement, within, limit)
    return [dict(r) for r in rows]


async def territory_names(conn: Conn, territory_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Name, kind and dwellings of some territories."""
    rows = await conn.fetch(TERRITORY_NAMES, territory_ids)
    return {r["territory_id"]: dict(r) for r in rows}


# --- Figures -------------------------------------------------------------------------------------
# `dirty`: read the roll-up except for these days (all landlords only); None: the counters. A
# statement whose counters side joins territory_ancestors has a `_rollup` twin rather than a
# folded-away branch (see sql/summary_rollup.sql).


async def summary_rows(
    conn: Conn,
    territory_id: str,
    *,
    period: Period,
    landlord_id: str | None,
    dirty: list[date] | None,
) -> list[dict[str, Any]]:
    """Counter sums by category for the period and the previous one (`current` tells which)."""
    previous = period.previous()
    bounds = (territory_id, previous.start, period.start, period.end)
    if dirty is not None:
        rows = await conn.fetch(SUMMARY_ROLLUP, *bounds, dirty)
    else:
        rows = await conn.fetch(SUMMARY, *bounds, landlord_id)
    return [dict(r) for r in rows]


async def timeseries(
    conn: Conn,
    territory_id: str,
    *,
    period: Period,
    bucket: Bucket,
    categories: list[str] | None,
    landlord_id: str | None,
    dirty: list[date] | None,
) -> dict[date, tuple[int, int]]:
    """(incidents, plaintes) per bucket start; buckets without incidents are absent."""
    args = (territory_id, period.start, period.end, bucket, categories)
    if dirty is not None:
        rows = await conn.fetch(TIMESERIES_ROLLUP, *args, dirty)
    else:
        rows = await conn.fetch(TIMESERIES, *args, landlord_id)
    return {r["bucket"]: (r["incidents"], r["plainte"]) for r in rows}


async def ranking(
    conn: Conn,
    *,
    kind: str,
    metric: str,
    period: Period,
    categories: list[str] | None,
    within: str,
    limit: int,
    landlord_id: str | None,
    dirty: list[date] | None,
) -> list[asyncpg.Record]:
    """Territories of a kind inside `within`, ranked by count or rate, as records of
    (territory_id, name, kind, departement_code, region_code, social_dwellings, incidents).
    `dirty` serves QPVs from reporting_daily, for all landlords and categories only."""
    args: list[Any] = [period.start, period.end, categories, within, limit, metric, kind]
    if kind != "qpv":
        return await conn.fetch(RANKING_ANCESTORS, *args, landlord_id)
    daily = dirty is not None and landlord_id is None and categories is None
    return await conn.fetch(RANKING_QPV, *args, dirty if daily else None, landlord_id)


async def complaint_gap(
    conn: Conn,
    *,
    group_by: str,
    territory_id: str,
    period: Period,
    landlord_id: str | None,
    dirty: list[date] | None,
) -> list[dict[str, Any]]:
    """Incidents and plaintes per group, this period and the previous one. `dirty`:
    reporting_rollup serves the grouping by category (upper levels), reporting_daily the
    groupings by territory, département and région; the grouping by landlord reads the
    counters."""
    previous = period.previous()
    bounds = (territory_id, previous.start, period.start, period.end)
    usable = dirty if landlord_id is None and group_by != "landlord" else None
    if group_by in ("departement", "region"):
        statement = GAP_BY_ANCESTOR_DAILY if usable is not None else GAP_BY_ANCESTOR
        scope = usable if usable is not None else landlord_id
        rows = await conn.fetch(statement, *bounds, scope, group_by)
        return [dict(r) for r in rows]
    if usable is not None:
        rollup = GAP_BY_CATEGORY_ROLLUP if group_by == "category" else GAP_BY_TERRITORY_DAILY
        rows = await conn.fetch(rollup, *bounds, usable)
    else:
        statement = {
            "category": GAP_BY_CATEGORY,
            "territory": GAP_BY_TERRITORY,
            "landlord": GAP_BY_LANDLORD,
        }[group_by]
        rows = await conn.fetch(statement, *bounds, landlord_id)
    return [dict(r) for r in rows]


async def territory_total(conn: Conn, territory_id: str, *, period: Period) -> int:
    """All landlords' incidents of a territory over the period, from the counters."""
    return int(await conn.fetchval(TERRITORY_TOTAL, territory_id, period.start, period.end))


async def export_counts(
    conn: Conn, *, kind: str, period: Period, landlord_id: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Territories of a kind and their counts by category over the period."""
    statement = EXPORT_QPV if kind == "qpv" else EXPORT_ANCESTORS
    counts = await conn.fetch(statement, period.start, period.end, kind, landlord_id)
    places = await conn.fetch(EXPORT_TERRITORIES, kind)
    return [dict(r) for r in places], [dict(r) for r in counts]


# --- The roll-ups' upkeep ------------------------------------------------------------------------


async def try_refresh_lock(conn: Conn) -> bool:
    """Take the refresh lock (session-level) unless another process holds it."""
    return bool(await conn.fetchval(REFRESH_LOCK))


async def refresh_unlock(conn: Conn) -> None:
    """Release the refresh lock."""
    await conn.fetchval(REFRESH_UNLOCK)


async def full_rebuild_due(conn: Conn) -> bool:
    """Whether the roll-ups must be rebuilt from scratch."""
    return bool(await conn.fetchval(ROLLUP_STATE))


async def take_dirty_days(conn: Conn, *, limit: int, after: date | None) -> list[date]:
    """The first `limit` days changed since the last refresh, after `after` (None: from the
    earliest), removed from the list; sorted, once each."""
    return sorted({r["day"] for r in await conn.fetch(DIRTY_DAYS_TAKE, limit, after)})


async def mark_every_day_dirty(conn: Conn) -> None:
    """Mark dirty every day the counters or the roll-ups hold (a full rebuild)."""
    await conn.execute(DIRTY_DAYS_ALL)


async def dirty_day_count(conn: Conn) -> int:
    """How many distinct days are waiting for the refresh."""
    return int(await conn.fetchval(DIRTY_DAYS_COUNT))


async def recompute_rollups(conn: Conn, days: list[date]) -> None:
    """Recompute both roll-ups for these days from the counters."""
    await conn.execute(ROLLUP_DELETE, days)
    await conn.execute(DAILY_DELETE, days)
    await conn.execute(ROLLUP_INSERT, days)
    await conn.execute(DAILY_INSERT, days)


async def stamp_rollups(conn: Conn, *, full: bool) -> None:
    """Record a committed refresh (a full rebuild moves `rebuilt_at`)."""
    await conn.execute(ROLLUP_STAMP, full)


async def add_dirty_days(conn: Conn, days: list[date]) -> None:
    """Mark days changed: the next refresh recomputes them, requests read them from the
    counters until then."""
    await conn.execute(DIRTY_DAYS_ADD, days)


async def heard_until(conn: Conn, committed_at: datetime) -> None:
    """Move `as_of` on to this commit time (never back)."""
    await conn.execute(FRESHNESS_HEARD, committed_at)


async def bump_versions(conn: Conn, territories: list[str]) -> None:
    """Move on the versions of these territories and of those above them (polled answers'
    tags)."""
    await conn.execute(VERSIONS_BUMP, territories)


async def ask_full_rebuild(conn: Conn) -> None:
    """Have the next refresh rebuild the roll-ups from scratch."""
    await conn.execute(FULL_REBUILD_ASK)
