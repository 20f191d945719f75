"""Rankings of territories and the complaint gap."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from vigie.contract.nomenclature import Nomenclature
from vigie.platform.api import ApiError, CurrentPrincipal
from vigie.platform.territories import COUNTRY_ID
from vigie_reporting import repository
from vigie_reporting.access import shared_territories
from vigie_reporting.api.common import (
    FiguresScope,
    FromDate,
    RankKind,
    TerritoryId,
    ToDate,
    categories_of,
    dirty_days_for,
    identity,
    period_fields,
    period_of,
    territory_of,
)
from vigie_reporting.api.deps import CurrentNomenclature, Db
from vigie_reporting.api.polling import Polled, PolledRoute
from vigie_reporting.complaint_gap import GapCounts, gap_body, period_counts, shared_gap_body
from vigie_reporting.encoding import JsonResponse
from vigie_reporting.periods import Period
from vigie_reporting.repository import Conn

router = APIRouter(default_response_class=JsonResponse, route_class=PolledRoute)
# Groupings whose keys are territories (read from reporting_daily once built, named from the
# reference).
BY_TERRITORY = ("territory", "departement", "region")


@router.get("/rankings")
async def rankings(
    scope: FiguresScope,
    db: Db,
    poll: Polled,
    loaded: CurrentNomenclature,
    kind: RankKind = "qpv",
    metric: Literal["count", "rate_per_1000_dwellings"] = "count",
    start: FromDate = None,
    end: ToDate = None,
    domain: Annotated[str | None, Query(max_length=32)] = None,
    category: Annotated[str | None, Query(max_length=16)] = None,
    within: Annotated[str, Query(max_length=64)] = COUNTRY_ID,
    limit: Annotated[int, Query(ge=1, le=5000)] = 50,
) -> JsonResponse:
    """Territories of a kind (inside `within`, France by default), highest first."""
    period = period_of(start, end)
    codes = categories_of(loaded, category=category, domain=domain)
    await poll.guard(territory_id=within)
    fresh = await repository.freshness(db)
    rows = await repository.ranking(
        db,
        kind=kind,
        metric=metric,
        period=period,
        categories=codes,
        within=within,
        limit=limit,
        landlord_id=scope.landlord_id,
        dirty=list(fresh["dirty_days"]) if fresh["rollup_ready"] else None,
    )
    # Up to 1,518 items for the map: built straight from the records' values (the rate as in
    # figures.rate_per_1000, inlined: this loop is most of the ranking's Python time).
    items = [
        {
            "rank": index,
            "territory_id": territory,
            "name": name,
            "kind": kind_,
            "departement_code": departement,
            "region_code": region,
            "social_dwellings": dwellings,
            "count": count,
            "rate_per_1000_dwellings": round(count * 1000 / dwellings, 2) if dwellings else None,
        }
        for index, (territory, name, kind_, departement, region, dwellings, count) in enumerate(
            rows, start=1
        )
    ]
    return JsonResponse(
        {
            "kind": kind,
            "metric": metric,
            **period_fields(period),
            "within": within,
            "domain": domain,
            "category": category,
            "landlord_id": scope.landlord_id,
            "items": items,
            "as_of": fresh["as_of"],
        },
        headers=poll.headers,
    )


def _gap(incidents: int | None, plainte: int | None) -> dict[str, Any]:
    """Incidents, plaintes, their gap and the complaint rate of one group."""
    incidents, plainte = incidents or 0, plainte or 0
    return {
        "incidents": incidents,
        "plainte": plainte,
        "gap": incidents - plainte,
        "complaint_rate": round(plainte / incidents, 4) if incidents else None,
    }


@router.get("/complaint-gap")
async def complaint_gap(
    scope: FiguresScope,
    db: Db,
    poll: Polled,
    loaded: CurrentNomenclature,
    group_by: Literal["category", "territory", "landlord", "departement", "region"] = "category",
    territory_id: Annotated[str, Query(max_length=64)] = COUNTRY_ID,
    start: FromDate = None,
    end: ToDate = None,
) -> JsonResponse:
    """Incidents vs those with a `plainte`, the gap, and how it moved since the previous
    period, per category, territory (the counters' own, mostly QPVs), landlord, département
    or région (the regional view: départements ranked by gap), largest gap first."""
    period = period_of(start, end)
    await poll.guard(territory_id=territory_id)
    place = await territory_of(db, territory_id)
    rows = await repository.complaint_gap(
        db,
        group_by=group_by,
        territory_id=territory_id,
        period=period,
        landlord_id=scope.landlord_id,
        dirty=dirty_days_for(place, scope.landlord_id, any_level=group_by in BY_TERRITORY),
    )
    labels = await _gap_labels(db, loaded, group_by, [r["key"] for r in rows])
    groups = []
    for row in rows:
        current = _gap(row["incidents"], row["plainte"])
        previous = _gap(row["previous_incidents"], row["previous_plainte"])
        groups.append(
            {
                "key": row["key"],
                "label": labels.get(row["key"], row["key"]),
                **current,
                "previous": previous,
                "complaint_rate_change_pts": _change_pts(current, previous),
            }
        )
    groups.sort(key=lambda g: (-g["gap"], g["key"]))
    total = _gap(sum(g["incidents"] for g in groups), sum(g["plainte"] for g in groups))
    previous_total = _gap(
        sum(g["previous"]["incidents"] for g in groups),
        sum(g["previous"]["plainte"] for g in groups),
    )
    return JsonResponse(
        {
            "group_by": group_by,
            "territory_id": territory_id,
            **period_fields(period),
            "landlord_id": scope.landlord_id,
            "total": {**total, "previous": previous_total},
            "groups": groups,
            "as_of": place["as_of"],
        },
        headers=poll.headers,
    )


def _change_pts(current: dict[str, Any], previous: dict[str, Any]) -> float | None:
    """How many percentage points the complaint rate moved."""
    if current["complaint_rate"] is None or previous["complaint_rate"] is None:
        return None
    return round(float(current["complaint_rate"] - previous["complaint_rate"]) * 100, 1)


async def _gap_labels(
    db: Conn, nomenclature: Nomenclature, group_by: str, keys: list[str]
) -> dict[str, str]:
    """Readable names of the groups (landlords are shown by their id)."""
    if group_by == "category":
        return {c.code: c.label for c in nomenclature.categories}
    if group_by in BY_TERRITORY:
        names = await repository.territory_names(db, keys)
        return {k: v["name"] for k, v in names.items()}
    return {}


@router.get("/territories/{territory_id}/complaint-gap")
async def territory_complaint_gap(
    scope: FiguresScope,
    db: Db,
    poll: Polled,
    loaded: CurrentNomenclature,
    territory_id: TerritoryId,
    start: FromDate = None,
    end: ToDate = None,
) -> JsonResponse:
    """A territory's share of incidents with a `plainte`, by category and by target, against
    the previous period (see complaint_gap): the caller's landlord, or all for an admin."""
    period = period_of(start, end)
    await poll.guard(territory_id=territory_id)
    place, current, previous = await _gap_counts(
        db, loaded, territory_id, period=period, landlord_id=scope.landlord_id
    )
    return JsonResponse(
        {
            **identity(place, period, scope.landlord_id),
            **gap_body(current, previous),
            "as_of": place["as_of"],
        },
        headers=poll.headers,
    )


@router.get("/shared/territories/{territory_id}/complaint-gap")
async def shared_complaint_gap(
    principal: CurrentPrincipal,
    db: Db,
    poll: Polled,
    loaded: CurrentNomenclature,
    territory_id: TerritoryId,
    start: FromDate = None,
    end: ToDate = None,
) -> JsonResponse:
    """The same in the CLSPD view: all landlords, counts through suppression.publish, shares
    from published counts only (None when hidden)."""
    allowed = shared_territories(principal)
    period = period_of(start, end)
    await territory_of(db, territory_id)  # 404 before 403: unknown is unknown to all
    if allowed is not None and not await repository.is_within_any(db, territory_id, allowed):
        raise ApiError(403, "forbidden", f"this key does not cover {territory_id}")
    await poll.guard(territory_id=territory_id)
    place, current, previous = await _gap_counts(
        db, loaded, territory_id, period=period, landlord_id=None
    )
    return JsonResponse(
        {
            **identity(place, period, None),
            **shared_gap_body(current, previous),
            "as_of": place["as_of"],
        },
        headers=poll.headers,
    )


async def _gap_counts(
    db: Conn, loaded: Nomenclature, territory_id: str, *, period: Period, landlord_id: str | None
) -> tuple[dict[str, Any], GapCounts, GapCounts]:
    """The territory row and its counts of both periods (the summary's rows: one pass)."""
    place = await territory_of(db, territory_id)
    rows = await repository.summary_rows(
        db,
        territory_id,
        period=period,
        landlord_id=landlord_id,
        dirty=dirty_days_for(place, landlord_id),
    )
    current, previous = period_counts(rows, categories=[c.code for c in loaded.categories])
    return place, current, previous
