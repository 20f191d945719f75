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


async def summary_rows(
    pool: Pool, territory_id: str, *, period: Period, landlord_id: str | None
) -> list[dict[str, Any]]:
    """Counter sums by category for the period and the previous one (`current` tells which)."""
    previous = period.previous()
    args: list[Any] = [territory_id, previous.start, period.start, period.end]
    sql = queries.with_landlord(queries.SUMMARY, landlord=landlord_id is not None, position=5)
    if landlord_id is not None:
        args.append(landlord_id)
    return [dict(r) for r in await pool.fetch(sql, *args)]


async def timeseries(
    pool: Pool,
    territory_id: str,
    *,
    period: Period,
    bucket: Bucket,
    categories: list[str],
    landlord_id: str | None,
) -> dict[date, tuple[int, int]]:
    """(incidents, plaintes) per bucket start; buckets without incidents are absent."""
    args: list[Any] = [territory_id, period.start, period.end, bucket, categories]
    sql = queries.with_landlord(queries.TIMESERIES, landlord=landlord_id is not None, position=6)
    if landlord_id is not None:
        args.append(landlord_id)
    rows = await pool.fetch(sql, *args)
    return {r["bucket"]: (r["incidents"], r["plainte"]) for r in rows}


async def ranking(
    pool: Pool,
    *,
    kind: str,
    metric: str,
    period: Period,
    categories: list[str],
    within: str,
    limit: int,
    landlord_id: str | None,
) -> list[dict[str, Any]]:
    """Territories of a kind inside `within`, ranked by count or rate."""
    base = queries.RANKING_QPV if kind == "qpv" else queries.RANKING_ROLLUP
    sql = queries.with_landlord(base, landlord=landlord_id is not None, position=8)
    args: list[Any] = [period.start, period.end, categories, within, limit, metric, kind]
    if landlord_id is not None:
        args.append(landlord_id)
    return [dict(r) for r in await pool.fetch(sql, *args)]


async def complaint_gap(
    pool: Pool, *, group_by: str, territory_id: str, period: Period, landlord_id: str | None
) -> list[dict[str, Any]]:
    """Incidents and plaintes per group, this period and the previous one."""
    previous = period.previous()
    sql = queries.with_landlord(
        queries.GAP_BY[group_by], landlord=landlord_id is not None, position=5
    )
    args: list[Any] = [territory_id, previous.start, period.start, period.end]
    if landlord_id is not None:
        args.append(landlord_id)
    return [dict(r) for r in await pool.fetch(sql, *args)]


async def territory_names(pool: Pool, territory_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Name, kind and dwellings of some territories."""
    rows = await pool.fetch(queries.TERRITORY_NAMES, territory_ids)
    return {r["territory_id"]: dict(r) for r in rows}


async def export_counts(
    pool: Pool, *, kind: str, period: Period, landlord_id: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Territories of a kind and their counts by category over the period."""
    base = queries.EXPORT_QPV if kind == "qpv" else queries.EXPORT_ROLLUP
    sql = queries.with_landlord(base, landlord=landlord_id is not None, position=4)
    args: list[Any] = [period.start, period.end, kind]
    if landlord_id is not None:
        args.append(landlord_id)
    counts = [dict(r) for r in await pool.fetch(sql, *args)]
    places = [dict(r) for r in await pool.fetch(queries.EXPORT_TERRITORIES, kind)]
    return places, counts


async def as_of(pool: Pool) -> Any:
    """When the counters last changed (None if never)."""
    return await pool.fetchval(queries.AS_OF)


async def inside(pool: Pool, territory_id: str, candidates: list[str]) -> set[str]:
    """Those of `candidates` that are `territory_id` or lie inside it."""
    rows = await pool.fetch(queries.INSIDE, territory_id, candidates)
    return {r["territory_id"] for r in rows}
