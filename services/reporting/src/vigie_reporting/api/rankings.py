"""Rankings of territories and the complaint gap."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from vigie.contract.nomenclature import Nomenclature
from vigie.platform.territories import COUNTRY_ID
from vigie_reporting import repository
from vigie_reporting.api.common import (
    FiguresScope,
    FromDate,
    RankKind,
    ToDate,
    categories_of,
    dirty_days_for,
    period_fields,
    period_of,
    territory_of,
)
from vigie_reporting.api.deps import CurrentNomenclature, Db
from vigie_reporting.encoding import JsonResponse
from vigie_reporting.repository import Conn

router = APIRouter(default_response_class=JsonResponse)


@router.get("/rankings")
async def rankings(
    scope: FiguresScope,
    db: Db,
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
        }
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
    loaded: CurrentNomenclature,
    group_by: Literal["category", "territory", "landlord"] = "category",
    territory_id: Annotated[str, Query(max_length=64)] = COUNTRY_ID,
    start: FromDate = None,
    end: ToDate = None,
) -> JsonResponse:
    """Incidents vs those with a `plainte`, the gap, and how it moved since the previous
    period, per category, territory (the counters' own, mostly QPVs) or landlord."""
    period = period_of(start, end)
    place = await territory_of(db, territory_id)
    rows = await repository.complaint_gap(
        db,
        group_by=group_by,
        territory_id=territory_id,
        period=period,
        landlord_id=scope.landlord_id,
        dirty=dirty_days_for(place, scope.landlord_id, any_level=group_by == "territory"),
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
        }
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
    if group_by == "territory":
        names = await repository.territory_names(db, keys)
        return {k: v["name"] for k, v in names.items()}
    return {}
