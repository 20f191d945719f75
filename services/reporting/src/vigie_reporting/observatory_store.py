"""The annual observatory's SQL (`sql/observatory_*.sql`), run on a connection the caller holds.
Rows come back as plain values; no access decision here."""

from __future__ import annotations

from datetime import date
from typing import Any

from vigie_reporting.repository import Conn, sql

SUMS = sql("observatory_sums.sql")
COVERED = sql("observatory_covered.sql")
PLACES = sql("observatory_places.sql")


async def sums(
    conn: Conn, *, year: int, categories: list[str], domains: list[str], degradations: list[str]
) -> list[dict[str, Any]]:
    """Counter sums of `year` and the year before by département (or région), landlord, year
    (`current`) and domain (`domains[i]` is the domain of `categories[i]`)."""
    first, previous, last = date(year, 1, 1), date(year - 1, 1, 1), date(year, 12, 31)
    rows = await conn.fetch(SUMS, previous, first, last, categories, domains, degradations)
    return [dict(r) for r in rows]


async def covered(conn: Conn, *, year: int) -> dict[str, int]:
    """Social dwellings of the QPVs with facts in `year`, by département id."""
    rows = await conn.fetch(COVERED, date(year, 1, 1), date(year, 12, 31))
    return {f"DEP-{r['departement_code']}": int(r["covered_dwellings"] or 0) for r in rows}


async def places(conn: Conn) -> list[dict[str, Any]]:
    """The country, the régions and the départements of the reference, by code."""
    return [dict(r) for r in await conn.fetch(PLACES)]
