"""What the reporting handlers share: parameter types, access and period resolution, the
territory look-up, the choice between counters and roll-ups, and the summary itself."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query

from vigie.contract.nomenclature import Nomenclature
from vigie.platform.api import ApiError, CurrentPrincipal
from vigie_reporting import repository
from vigie_reporting.access import Scope, figures_scope
from vigie_reporting.alerts_feed import AlertsFeed, alerts_for
from vigie_reporting.figures import summary_body, sums_from_rows
from vigie_reporting.periods import InvalidPeriod, Period, resolve_period, today_in_paris
from vigie_reporting.repository import Conn
from vigie_reporting.rollups import ROLLUP_KINDS

Kind = Literal["qpv", "commune", "departement", "region", "pays"]
RankKind = Literal["qpv", "commune", "departement", "region"]
FromDate = Annotated[date | None, Query(alias="from", description="first day, inclusive")]
ToDate = Annotated[date | None, Query(alias="to", description="last day, inclusive")]
TerritoryId = Annotated[str, Path(max_length=64)]


def figures_scope_of(principal: CurrentPrincipal) -> Scope:
    """The caller's scope on the figures endpoints (403 for keys limited to the shared view)."""
    return figures_scope(principal)


FiguresScope = Annotated[Scope, Depends(figures_scope_of)]


def period_of(start: date | None, end: date | None) -> Period:
    """The asked period with its defaults; 422 naming the parameter when it makes no sense."""
    try:
        return resolve_period(start, end, today=today_in_paris())
    except InvalidPeriod as exc:
        error = {"field": exc.field, "message": str(exc)}
        raise ApiError(422, "invalid", str(exc), errors=[error]) from None


def categories_of(
    nomenclature: Nomenclature, *, category: str | None, domain: str | None
) -> list[str] | None:
    """Category codes selected by a category and/or a domain filter; None: no filter."""
    if category is None and domain is None:
        return None
    codes = [c.code for c in nomenclature.categories]
    if category is not None:
        if nomenclature.category(category) is None:
            raise ApiError(
                422,
                "invalid",
                "unknown category",
                errors=[{"field": "category", "message": category}],
            )
        codes = [category]
    if domain is not None:
        if domain not in {d.code for d in nomenclature.domains}:
            raise ApiError(
                422, "invalid", "unknown domain", errors=[{"field": "domain", "message": domain}]
            )
        codes = [c for c in codes if nomenclature.domain_of(c) == domain]
    return codes


async def territory_of(db: Conn, territory_id: str) -> dict[str, Any]:
    """The territory row with freshness and roll-up state; 404 if unknown."""
    found = await repository.territory(db, territory_id)
    if found is None:
        raise ApiError(404, "not_found", f"unknown territory {territory_id}")
    return found


def period_fields(period: Period) -> dict[str, Any]:
    """`from`, `to` and the previous period's bounds, for an answer."""
    previous = period.previous()
    return {
        "from": period.start,
        "to": period.end,
        "previous_from": previous.start,
        "previous_to": previous.end,
    }


def dirty_days_for(
    place: dict[str, Any], landlord_id: str | None, *, any_level: bool = False
) -> list[date] | None:
    """The days to read from the counters when a roll-up serves this request (all landlords,
    once built; reporting_rollup holds the upper levels only, reporting_daily every territory);
    None when the counters serve it all."""
    level_ok = any_level or place["kind"] in ROLLUP_KINDS
    if landlord_id is None and place["rollup_ready"] and level_ok:
        return list(place["dirty_days"])
    return None


async def summary_of(
    db: Conn,
    territory_id: str,
    *,
    nomenclature: Nomenclature,
    period: Period,
    landlord_id: str | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The territory row (with the answer's `as_of`) and the summary figures of a scope."""
    place = await territory_of(db, territory_id)
    rows = await repository.summary_rows(
        db,
        territory_id,
        period=period,
        landlord_id=landlord_id,
        dirty=dirty_days_for(place, landlord_id),
    )
    body = summary_body(
        current=sums_from_rows(rows, current=True),
        previous=sums_from_rows(rows, current=False),
        nomenclature=nomenclature,
        social_dwellings=place["social_dwellings"],
    )
    return place, body


async def open_alerts_of(
    db: Conn, feed: AlertsFeed, territory_id: str, *, landlord_id: str | None, shared: bool
) -> list[dict[str, Any]]:
    """The open alerts inside the territory that the caller may see (none without alerts)."""
    known = feed.open_alerts
    if not known:
        return []
    candidates = sorted({str(a.get("territory_id")) for a in known})
    inside = await repository.inside(db, territory_id, candidates)
    return alerts_for(known, inside=inside, landlord_id=landlord_id, shared=shared)


def identity(place: dict[str, Any], period: Period, scope: str | None) -> dict[str, Any]:
    """Who and when an answer is about."""
    return {
        "territory_id": place["territory_id"],
        "name": place["name"],
        "kind": place["kind"],
        **period_fields(period),
        "landlord_id": scope,
    }
