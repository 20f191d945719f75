"""Territories, summaries (per landlord and the CLSPD shared view), time series, the
nomenclature and the caller's key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from vigie.platform.api import ApiError, CurrentPrincipal
from vigie_reporting import repository
from vigie_reporting.access import shared_territories
from vigie_reporting.api.common import (
    FiguresScope,
    FromDate,
    Kind,
    TerritoryId,
    ToDate,
    categories_of,
    dirty_days_for,
    identity,
    open_alerts_of,
    period_of,
    summary_of,
    territory_of,
)
from vigie_reporting.api.deps import Alerts, CurrentNomenclature, Db
from vigie_reporting.api.polling import Polled, PolledRoute
from vigie_reporting.encoding import JsonResponse
from vigie_reporting.figures import suppressed_body
from vigie_reporting.periods import Bucket, bucket_starts

router = APIRouter(default_response_class=JsonResponse, route_class=PolledRoute)


@router.get("/me")
async def me(principal: CurrentPrincipal) -> dict[str, Any]:
    """The caller's key as reporting reads it: `scope` is `figures` (its landlord's, or every
    landlord's for an admin) or `shared` (the CLSPD view of `territory_ids`)."""
    shared = principal.role == "partner" or (
        principal.role == "manager" and not principal.landlord_id
    )
    return {
        "key_id": principal.key_id,
        "role": principal.role,
        "name": principal.name,
        "landlord_id": principal.landlord_id,
        "territory_ids": sorted(principal.territory_ids),
        "scope": "shared" if shared else "figures",
    }


@router.get("/nomenclature")
async def nomenclature(loaded: CurrentNomenclature, _: CurrentPrincipal) -> dict[str, Any]:
    """Categories and GSUP domains (docs/contract.md §4)."""
    return loaded.model_dump()


@router.get("/territories")
async def territories(
    _: FiguresScope,
    db: Db,
    kind: Kind | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    departement: Annotated[str | None, Query(max_length=3)] = None,
    within: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 2000,
) -> dict[str, Any]:
    """Territories with name, kind and dwellings."""
    items = await repository.territories(
        db, kind=kind, q=q, departement=departement, within=within, limit=limit
    )
    return {"items": items, "count": len(items)}


@router.get("/territories/{territory_id}/summary")
async def summary(
    scope: FiguresScope,
    db: Db,
    poll: Polled,
    loaded: CurrentNomenclature,
    feed: Alerts,
    territory_id: TerritoryId,
    start: FromDate = None,
    end: ToDate = None,
) -> dict[str, Any]:
    """Counts, breakdowns, rate, trend, complaint rate and open alerts of a territory."""
    period = period_of(start, end)
    await poll.guard(territory_id=territory_id, alerts=feed.open_alerts)
    place, body = await summary_of(
        db, territory_id, nomenclature=loaded, period=period, landlord_id=scope.landlord_id
    )
    alerts = await open_alerts_of(
        db, feed, territory_id, landlord_id=scope.landlord_id, shared=False
    )
    return {
        **identity(place, period, scope.landlord_id),
        **body,
        "open_alerts": alerts,
        "as_of": place["as_of"],
    }


@router.get("/shared/territories/{territory_id}/summary")
async def shared_summary(
    principal: CurrentPrincipal,
    db: Db,
    poll: Polled,
    loaded: CurrentNomenclature,
    feed: Alerts,
    territory_id: TerritoryId,
    start: FromDate = None,
    end: ToDate = None,
) -> dict[str, Any]:
    """The CLSPD view: all landlords together, small counts suppressed (see suppression)."""
    allowed = shared_territories(principal)
    period = period_of(start, end)
    await territory_of(db, territory_id)  # 404 before 403: unknown is unknown to all
    if allowed is not None and not await repository.is_within_any(db, territory_id, allowed):
        raise ApiError(403, "forbidden", f"this key does not cover {territory_id}")
    await poll.guard(territory_id=territory_id, alerts=feed.open_alerts)
    place, body = await summary_of(
        db, territory_id, nomenclature=loaded, period=period, landlord_id=None
    )
    alerts = await open_alerts_of(db, feed, territory_id, landlord_id=None, shared=True)
    return {
        **identity(place, period, None),
        **suppressed_body(body, loaded),
        "open_alerts": alerts,
        "as_of": place["as_of"],
    }


@router.get("/territories/{territory_id}/timeseries")
async def timeseries(
    scope: FiguresScope,
    db: Db,
    poll: Polled,
    loaded: CurrentNomenclature,
    territory_id: TerritoryId,
    bucket: Bucket = "day",
    start: FromDate = None,
    end: ToDate = None,
    category: Annotated[str | None, Query(max_length=16)] = None,
    domain: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    """Incidents (and plaintes) per day, week (from Monday) or month; empty buckets are 0."""
    period = period_of(start, end)
    codes = categories_of(loaded, category=category, domain=domain)
    await poll.guard(territory_id=territory_id)
    place = await territory_of(db, territory_id)
    found = await repository.timeseries(
        db,
        territory_id,
        period=period,
        bucket=bucket,
        categories=codes,
        landlord_id=scope.landlord_id,
        dirty=dirty_days_for(place, scope.landlord_id),
    )
    points = [
        {
            "bucket": day,
            "incidents": found.get(day, (0, 0))[0],
            "plainte": found.get(day, (0, 0))[1],
        }
        for day in bucket_starts(period, bucket)
    ]
    return {
        **identity(place, period, scope.landlord_id),
        "bucket": bucket,
        "category": category,
        "domain": domain,
        "total": sum(p["incidents"] for p in points),
        "points": points,
        "as_of": place["as_of"],
    }
