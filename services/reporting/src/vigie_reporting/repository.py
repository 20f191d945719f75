"""Reads of the reporting service: the SQL of `queries` run on a pool, rows shaped into plain
values. No access decision here: callers pass the landlord scope they were granted."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from vigie_reporting import queries
from vigie_reporting.periods import Bucket, Period

Pool = asyncpg.Pool


async def territory(pool: Pool, territory_id: str) -> dict[str, Any] | None:
    """A territory with the counters' `as_of`, or None if unknown."""
    row = await pool.fetchrow(queries.TERRITORY, territory_id)
    return dict(row) if row else None


async def is_within_any(pool: Pool, territory_id: str, ancestors: frozenset[str]) -> bool:
    """Whether the territory is one of `ancestors` or inside one of them."""
    return bool(await pool.fetchval(queries.WITHIN_ANY, territory_id, sorted(ancestors)))


async def territories(
    pool: Pool,
    *,
    kind: str | None,
    q: str | None,
    departement: str | None,
    within: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Territories matching the filters, biggest levels first, then by name."""
    rows = await pool.fetch(queries.TERRITORIES, kind, q, departement, within, limit)
    return [dict(r) for r in rows]


def _statement(
    sql: str, args: list[Any], *, landlord_id: str | None, dirty: list[date] | None
) -> tuple[str, list[Any]]:
    """The statement for a scope: the roll-up when `dirty` is given (all landlords only), else
    the counters, filtered to a landlord or not; the extra argument goes last."""
    position = len(args) + 1
    sql = queries.sources(sql, rollup=dirty is not None, position=position)
    sql = queries.with_landlord(sql, landlord=landlord_id is not None, position=position)
    if dirty is not None:
        return sql, [*args, dirty]
    if landlord_id is not None:
        return sql, [*args, landlord_id]
    return sql, args


async def summary_rows(
    pool: Pool,
    territory_id: str,
    *,
    period: Period,
    landlord_id: str | None,
    dirty: list[date] | None,
) -> list[dict[str, Any]]:
    """Counter sums by category for the period and the previous one (`current` tells which).
    `dirty`: read the roll-up, except for these days."""
    previous = period.previous()
    sql, args = _statement(
        queries.SUMMARY,
        [territory_id, previous.start, period.start, period.end],
        landlord_id=landlord_id,
        dirty=dirty,
    )
    return [dict(r) for r in await pool.fetch(sql, *args)]


async def timeseries(
    pool: Pool,
    territory_id: str,
    *,
    period: Period,
    bucket: Bucket,
    categories: list[str] | None,
    landlord_id: str | None,
    dirty: list[date] | None,
) -> dict[date, tuple[int, int]]:
    """(incidents, plaintes) per bucket start; buckets without incidents are absent."""
    sql, args = _statement(
        queries.TIMESERIES,
        [territory_id, period.start, period.end, bucket, categories],
        landlord_id=landlord_id,
        dirty=dirty,
    )
    rows = await pool.fetch(sql, *args)
    return {r["bucket"]: (r["incidents"], r["plainte"]) for r in rows}


async def ranking(
    pool: Pool,
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
    `dirty`: read
    reporting_daily except for these days (QPVs, all landlords and categories only)."""
    args: list[Any] = [period.start, period.end, categories, within, limit, metric, kind]
    daily = dirty is not None and kind == "qpv" and landlord_id is None and categories is None
    if daily:
        sql = queries.RANKING_QPV_DAILY
        args.append(dirty)
    else:
        base = queries.RANKING_QPV if kind == "qpv" else queries.RANKING_ANCESTORS
        sql = queries.with_landlord(base, landlord=landlord_id is not None, position=8)
        if landlord_id is not None:
            args.append(landlord_id)
    return await pool.fetch(sql, *args)


async def complaint_gap(
    pool: Pool,
    *,
    group_by: str,
    territory_id: str,
    period: Period,
    landlord_id: str | None,
    dirty: list[date] | None,
) -> list[dict[str, Any]]:
    """Incidents and plaintes per group, this period and the previous one. `dirty` (all
    landlords only): read the roll-ups except for these days; reporting_rollup serves the
    grouping by category (upper levels), reporting_daily the grouping by territory."""
    previous = period.previous()
    base = [territory_id, previous.start, period.start, period.end]
    if group_by == "territory" and dirty is not None and landlord_id is None:
        sql, args = queries.GAP_BY_TERRITORY_DAILY, [*base, dirty]
    else:
        sql, args = _statement(
            queries.GAP_BY[group_by],
            base,
            landlord_id=landlord_id,
            dirty=dirty if group_by == "category" else None,
        )
    return [dict(r) for r in await pool.fetch(sql, *args)]


async def territory_names(pool: Pool, territory_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Name, kind and dwellings of some territories."""
    rows = await pool.fetch(queries.TERRITORY_NAMES, territory_ids)
    return {r["territory_id"]: dict(r) for r in rows}


async def export_counts(
    pool: Pool, *, kind: str, period: Period, landlord_id: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Territories of a kind and their counts by category over the period."""
    base = queries.EXPORT_QPV if kind == "qpv" else queries.EXPORT_ANCESTORS
    sql = queries.with_landlord(base, landlord=landlord_id is not None, position=4)
    args: list[Any] = [period.start, period.end, kind]
    if landlord_id is not None:
        args.append(landlord_id)
    counts = [dict(r) for r in await pool.fetch(sql, *args)]
    places = [dict(r) for r in await pool.fetch(queries.EXPORT_TERRITORIES, kind)]
    return places, counts


async def freshness(pool: Pool) -> dict[str, Any]:
    """`as_of`, whether the roll-ups are built, and the days they have not folded in yet."""
    row = await pool.fetchrow(queries.FRESHNESS)
    assert row is not None
    return dict(row)


async def inside(pool: Pool, territory_id: str, candidates: list[str]) -> set[str]:
    """Those of `candidates` that are `territory_id` or lie inside it."""
    rows = await pool.fetch(queries.INSIDE, territory_id, candidates)
    return {r["territory_id"] for r in rows}
