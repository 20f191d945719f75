"""The partner dashboard's shared endpoints beyond the summary: a territory's time series and the
ranking of the key's territories (which also colours the partner's map). All landlords
together, every count through `suppression.publish` (see `shared_figures`); the same access
rules as the shared summary: 404 for an unknown territory, 403 outside the key's territories."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from vigie.platform.api import ApiError, CurrentPrincipal
from vigie.platform.auth import Principal
from vigie_reporting import repository
from vigie_reporting.access import shared_territories
from vigie_reporting.api.common import (
    FromDate,
    TerritoryId,
    ToDate,
    dirty_days_for,
    identity,
    period_fields,
    period_of,
    territory_of,
)
from vigie_reporting.api.deps import Db
from vigie_reporting.api.polling import Polled, PolledRoute
from vigie_reporting.encoding import JsonResponse
from vigie_reporting.periods import Bucket, Period, bucket_starts
from vigie_reporting.repository import Conn
from vigie_reporting.shared_figures import Place, Scope, published_ranking, published_series

router = APIRouter(default_response_class=JsonResponse, route_class=PolledRoute)
# A partner key names a few territories; more in one ranking is a mistake, not a use.
MAX_WITHIN = 20


async def shared_place(db: Conn, principal: Principal, territory_id: str) -> dict[str, Any]:
    """The territory row if the caller may read its shared view: 404 before 403 (unknown is
    unknown to all), 403 outside the key's territories."""
    allowed = shared_territories(principal)
    place = await territory_of(db, territory_id)
    if allowed is not None and not await repository.is_within_any(db, territory_id, allowed):
        raise ApiError(403, "forbidden", f"this key does not cover {territory_id}")
    return place


@router.get("/shared/territories/{territory_id}/timeseries")
async def shared_timeseries(
    principal: CurrentPrincipal,
    db: Db,
    poll: Polled,
    territory_id: TerritoryId,
    bucket: Bucket = "month",
    start: FromDate = None,
    end: ToDate = None,
) -> dict[str, Any]:
    """Incidents and plaintes per bucket (month by default), all landlords, small counts
    hidden (None); the total is the series' sum, published with it."""
    period = period_of(start, end)
    place = await shared_place(db, principal, territory_id)
    await poll.guard(territory_id=territory_id)
    found = await repository.timeseries(
        db,
        territory_id,
        period=period,
        bucket=bucket,
        categories=None,
        landlord_id=None,
        dirty=dirty_days_for(place, None),
    )
    points = [(day, *found.get(day, (0, 0))) for day in bucket_starts(period, bucket)]
    return {
        **identity(place, period, None),
        "bucket": bucket,
        **published_series(points),
        "as_of": place["as_of"],
    }


@router.get("/shared/rankings")
async def shared_rankings(
    principal: CurrentPrincipal,
    db: Db,
    poll: Polled,
    start: FromDate = None,
    end: ToDate = None,
    within: Annotated[list[str] | None, Query(max_length=MAX_WITHIN)] = None,
) -> dict[str, Any]:
    """The key's territories (or those of `within` the key covers) and their QPVs, ranked by
    rate per 1,000 social dwellings; the map of the partner dashboard is drawn from it."""
    period = period_of(start, end)
    allowed = shared_territories(principal)
    wanted = sorted(set(within)) if within else sorted(allowed or ())
    if not wanted:
        raise ApiError(
            422,
            "invalid",
            "name the territories to rank",
            errors=[{"field": "within", "message": "required for a key that covers all"}],
        )
    places = [await shared_place(db, principal, territory_id) for territory_id in wanted]
    await poll.guard(territory_id=wanted)
    scopes = [await _scope(db, place, period) for place in places]
    fresh = await repository.freshness(db)
    return {
        **period_fields(period),
        "within": wanted,
        "metric": "rate_per_1000_dwellings",
        **published_ranking(scopes),
        "as_of": fresh["as_of"],
    }


async def _scope(db: Conn, place: dict[str, Any], period: Period) -> Scope:
    """One of the ranked territories with its total and its QPVs' counts (none for a QPV)."""
    territory_id = place["territory_id"]
    me = Place(
        territory_id=territory_id,
        name=place["name"],
        kind=place["kind"],
        departement_code=place["departement_code"],
        social_dwellings=place["social_dwellings"],
        count=await repository.territory_total(db, territory_id, period=period),
    )
    if place["kind"] == "qpv":
        return Scope(place=me, qpvs=())
    fresh = await repository.freshness(db)
    rows = await repository.ranking(
        db,
        kind="qpv",
        metric="count",
        period=period,
        categories=None,
        within=territory_id,
        limit=5000,
        landlord_id=None,
        dirty=list(fresh["dirty_days"]) if fresh["rollup_ready"] else None,
    )
    qpvs = tuple(
        Place(
            territory_id=qpv,
            name=name,
            kind=kind,
            departement_code=departement,
            social_dwellings=dwellings,
            count=count,
        )
        for qpv, name, kind, departement, _region, dwellings, count in rows
    )
    return Scope(place=me, qpvs=qpvs)
