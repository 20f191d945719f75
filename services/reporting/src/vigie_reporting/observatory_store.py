"""The annual observatory's SQL (`sql/observatory_*.sql`), run on a connection the caller holds.
Rows come back as plain values; no access decision here.

The sums come from the observatory's roll-up (migration 0007): a year's counters summed by
département, landlord and category, built by the first request that needs the year and used
while no day of it has been announced changed since its snapshot (a trigger on
reporting_dirty_days, where counters.changed.v1 puts the days, stamps the year)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from vigie_reporting.repository import Conn, sql

SUMS = sql("observatory_sums.sql")
COVERED = sql("observatory_covered.sql")
PLACES = sql("observatory_places.sql")
YEARS_FRESH = sql("observatory_years_fresh.sql")
YEAR_LOCK = sql("observatory_year_lock.sql")
YEAR_DELETE = sql("observatory_year_delete.sql")
YEAR_INSERT = sql("observatory_year_insert.sql")
YEAR_BUILT = sql("observatory_year_built.sql")


async def sums(
    conn: Conn, *, year: int, categories: list[str], domains: list[str], degradations: list[str]
) -> list[dict[str, Any]]:
    """Counter sums of `year` and the year before by département (or région), landlord, year
    (`current`) and domain (`domains[i]` is the domain of `categories[i]`)."""
    for stale in await stale_years(conn, [year - 1, year]):
        await build_year(conn, stale)
    rows = await conn.fetch(SUMS, year - 1, year, categories, domains, degradations)
    return [dict(r) for r in rows]


async def stale_years(conn: Conn, years: list[int]) -> list[int]:
    """Those of `years` whose roll-up is missing or older than a change of one of their days."""
    fresh = {r["year"] for r in await conn.fetch(YEARS_FRESH, years)}
    return [y for y in years if y not in fresh]


async def built_years(conn: Conn, years: list[int]) -> dict[int, datetime]:
    """Those of `years` whose roll-up is up to date, with the time of its snapshot: while it
    stays the same, so do the year's sums (any announced change of one of its days makes the
    year stale; a full rebuild of the roll-ups drops the builds)."""
    return {r["year"]: r["started_at"] for r in await conn.fetch(YEARS_FRESH, years)}


async def build_year(conn: Conn, year: int) -> None:
    """(Re)build a year of the roll-up from the counters, unless another request just did."""
    async with conn.transaction():  # READ COMMITTED: each statement its own snapshot
        await conn.execute(YEAR_LOCK, year)
        if not await stale_years(conn, [year]):
            return
        await conn.execute(YEAR_DELETE, year)
        await conn.execute(YEAR_BUILT, year)  # stamped before the snapshot of the insert
        await conn.execute(YEAR_INSERT, year, date(year, 1, 1), date(year, 12, 31))


async def covered(conn: Conn, *, year: int) -> dict[str, int]:
    """Social dwellings of the QPVs with facts in `year`, by département id."""
    rows = await conn.fetch(COVERED, date(year, 1, 1), date(year, 12, 31))
    return {f"DEP-{r['departement_code']}": int(r["covered_dwellings"] or 0) for r in rows}


async def places(conn: Conn) -> list[dict[str, Any]]:
    """The country, the régions and the départements of the reference, by code."""
    return [dict(r) for r in await conn.fetch(PLACES)]
