"""The §8 reporting API: thin handlers that check access, resolve periods and shape answers.

Every `/v1` route authenticates (bearer token). Answers are built from the counters only; the
JSON is encoded with orjson (dates as ISO strings)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response, StreamingResponse

from vigie.api import ApiError, CurrentPrincipal
from vigie.nomenclature import Nomenclature
from vigie_reporting import repository
from vigie_reporting.access import Scope, figures_scope, shared_territories
from vigie_reporting.alerts_feed import AlertsFeed, AlertsUnavailable, alerts_for
from vigie_reporting.csv_export import counts_csv, export_filename
from vigie_reporting.encoding import JsonResponse
from vigie_reporting.figures import summary_body, sums_from_rows, suppressed_body
from vigie_reporting.periods import (
    Bucket,
    InvalidPeriod,
    Period,
    bucket_starts,
    resolve_period,
    today_in_paris,
)
from vigie_reporting.rollups import ROLLUP_KINDS

Kind = Literal["qpv", "commune", "departement", "region", "pays"]
RankKind = Literal["qpv", "commune", "departement", "region"]
FromDate = Annotated[date | None, Query(alias="from", description="first day, inclusive")]
ToDate = Annotated[date | None, Query(alias="to", description="last day, inclusive")]
TerritoryId = Annotated[str, Path(max_length=64)]

router = APIRouter(prefix="/v1", default_response_class=JsonResponse)


def _scope(principal: CurrentPrincipal) -> Scope:
    return figures_scope(principal)


FiguresScope = Annotated[Scope, Depends(_scope)]


def _period(start: date | None, end: date | None) -> Period:
    try:
        return resolve_period(start, end, today=today_in_paris())
    except InvalidPeriod as exc:
        error = {"field": exc.field, "message": str(exc)}
        raise ApiError(422, "invalid", str(exc), errors=[error]) from None


def _nomenclature(request: Request) -> Nomenclature:
    nomenclature: Nomenclature = request.app.state.nomenclature
    return nomenclature


def _categories(
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


async def _territory(request: Request, territory_id: str) -> dict[str, Any]:
    found = await repository.territory(request.app.state.pool, territory_id)
    if found is None:
        raise ApiError(404, "not_found", f"unknown territory {territory_id}")
    return found


def _period_fields(period: Period) -> dict[str, Any]:
    previous = period.previous()
    return {
        "from": period.start,
        "to": period.end,
        "previous_from": previous.start,
        "previous_to": previous.end,
    }


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
async def nomenclature(request: Request, _: CurrentPrincipal) -> dict[str, Any]:
    """Categories and GSUP domains (CONTRACT §4)."""
    return _nomenclature(request).model_dump()


@router.get("/territories")
async def territories(
    request: Request,
    _: FiguresScope,
    kind: Kind | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    departement: Annotated[str | None, Query(max_length=3)] = None,
    within: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 2000,
) -> dict[str, Any]:
    """Territories with name, kind and dwellings."""
    items = await repository.territories(
        request.app.state.pool, kind=kind, q=q, departement=departement, within=within, limit=limit
    )
    return {"items": items, "count": len(items)}


def _dirty(
    place: dict[str, Any], landlord_id: str | None, *, any_level: bool = False
) -> list[date] | None:
    """The days to read from the counters when a roll-up serves this request (all landlords,
    once built; reporting_rollup holds the upper levels only, reporting_daily every territory);
    None when the counters serve it all."""
    level_ok = any_level or place["kind"] in ROLLUP_KINDS
    if landlord_id is None and place["rollup_ready"] and level_ok:
        return list(place["dirty_days"])
    return None


async def _summary(
    request: Request, territory_id: str, *, period: Period, landlord_id: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The territory row (with the answer's `as_of`) and the summary figures of a scope."""
    place = await _territory(request, territory_id)
    rows = await repository.summary_rows(
        request.app.state.pool,
        territory_id,
        period=period,
        landlord_id=landlord_id,
        dirty=_dirty(place, landlord_id),
    )
    body = summary_body(
        current=sums_from_rows(rows, current=True),
        previous=sums_from_rows(rows, current=False),
        nomenclature=_nomenclature(request),
        social_dwellings=place["social_dwellings"],
    )
    return place, body


async def _open_alerts(
    request: Request, territory_id: str, *, landlord_id: str | None, shared: bool
) -> list[dict[str, Any]]:
    feed: AlertsFeed = request.app.state.alerts
    known = feed.open_alerts
    if not known:
        return []
    candidates = sorted({str(a.get("territory_id")) for a in known})
    inside = await repository.inside(request.app.state.pool, territory_id, candidates)
    return alerts_for(known, inside=inside, landlord_id=landlord_id, shared=shared)


def _identity(place: dict[str, Any], period: Period, scope: str | None) -> dict[str, Any]:
    return {
        "territory_id": place["territory_id"],
        "name": place["name"],
        "kind": place["kind"],
        **_period_fields(period),
        "landlord_id": scope,
    }


@router.get("/territories/{territory_id}/summary")
async def summary(
    request: Request,
    territory_id: TerritoryId,
    scope: FiguresScope,
    start: FromDate = None,
    end: ToDate = None,
) -> dict[str, Any]:
    """Counts, breakdowns, rate, trend, complaint rate and open alerts of a territory."""
    period = _period(start, end)
    place, body = await _summary(
        request, territory_id, period=period, landlord_id=scope.landlord_id
    )
    alerts = await _open_alerts(request, territory_id, landlord_id=scope.landlord_id, shared=False)
    return {
        **_identity(place, period, scope.landlord_id),
        **body,
        "open_alerts": alerts,
        "as_of": place["as_of"],
    }


@router.get("/shared/territories/{territory_id}/summary")
async def shared_summary(
    request: Request,
    territory_id: TerritoryId,
    principal: CurrentPrincipal,
    start: FromDate = None,
    end: ToDate = None,
) -> dict[str, Any]:
    """The CLSPD view: all landlords together, small counts suppressed (see suppression)."""
    allowed = shared_territories(principal)
    period = _period(start, end)
    await _territory(request, territory_id)  # 404 before 403: unknown is unknown to all
    if allowed is not None and not await repository.is_within_any(
        request.app.state.pool, territory_id, allowed
    ):
        raise ApiError(403, "forbidden", f"this key does not cover {territory_id}")
    place, body = await _summary(request, territory_id, period=period, landlord_id=None)
    alerts = await _open_alerts(request, territory_id, landlord_id=None, shared=True)
    return {
        **_identity(place, period, None),
        **suppressed_body(body, _nomenclature(request)),
        "open_alerts": alerts,
        "as_of": place["as_of"],
    }


@router.get("/territories/{territory_id}/timeseries")
async def timeseries(
    request: Request,
    territory_id: TerritoryId,
    scope: FiguresScope,
    bucket: Bucket = "day",
    start: FromDate = None,
    end: ToDate = None,
    category: Annotated[str | None, Query(max_length=16)] = None,
    domain: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    """Incidents (and plaintes) per day, week (from Monday) or month; empty buckets are 0."""
    period = _period(start, end)
    codes = _categories(_nomenclature(request), category=category, domain=domain)
    place = await _territory(request, territory_id)
    found = await repository.timeseries(
        request.app.state.pool,
        territory_id,
        period=period,
        bucket=bucket,
        categories=codes,
        landlord_id=scope.landlord_id,
        dirty=_dirty(place, scope.landlord_id),
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
        **_identity(place, period, scope.landlord_id),
        "bucket": bucket,
        "category": category,
        "domain": domain,
        "total": sum(p["incidents"] for p in points),
        "points": points,
        "as_of": place["as_of"],
    }


@router.get("/rankings")
async def rankings(
    request: Request,
    scope: FiguresScope,
    kind: RankKind = "qpv",
    metric: Literal["count", "rate_per_1000_dwellings"] = "count",
    start: FromDate = None,
    end: ToDate = None,
    domain: Annotated[str | None, Query(max_length=32)] = None,
    category: Annotated[str | None, Query(max_length=16)] = None,
    within: Annotated[str, Query(max_length=64)] = "FR",
    limit: Annotated[int, Query(ge=1, le=5000)] = 50,
) -> JsonResponse:
    """Territories of a kind (inside `within`, France by default), highest first."""
    period = _period(start, end)
    codes = _categories(_nomenclature(request), category=category, domain=domain)
    pool = request.app.state.pool
    fresh = await repository.freshness(pool)
    rows = await repository.ranking(
        pool,
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
            **_period_fields(period),
            "within": within,
            "domain": domain,
            "category": category,
            "landlord_id": scope.landlord_id,
            "items": items,
            "as_of": fresh["as_of"],
        }
    )


def _gap(incidents: int | None, plainte: int | None) -> dict[str, Any]:
    incidents, plainte = incidents or 0, plainte or 0
    return {
        "incidents": incidents,
        "plainte": plainte,
        "gap": incidents - plainte,
        "complaint_rate": round(plainte / incidents, 4) if incidents else None,
    }


@router.get("/complaint-gap")
async def complaint_gap(
    request: Request,
    scope: FiguresScope,
    group_by: Literal["category", "territory", "landlord"] = "category",
    territory_id: Annotated[str, Query(max_length=64)] = "FR",
    start: FromDate = None,
    end: ToDate = None,
) -> JsonResponse:
    """Incidents vs those with a `plainte`, the gap, and how it moved since the previous
    period, per category, territory (the counters' own, mostly QPVs) or landlord."""
    period = _period(start, end)
    pool = request.app.state.pool
    place = await _territory(request, territory_id)
    rows = await repository.complaint_gap(
        pool,
        group_by=group_by,
        territory_id=territory_id,
        period=period,
        landlord_id=scope.landlord_id,
        dirty=_dirty(place, scope.landlord_id, any_level=group_by == "territory"),
    )
    labels = await _gap_labels(request, group_by, [r["key"] for r in rows])
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
            **_period_fields(period),
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


async def _gap_labels(request: Request, group_by: str, keys: list[str]) -> dict[str, str]:
    if group_by == "category":
        nomenclature = _nomenclature(request)
        return {c.code: c.label for c in nomenclature.categories}
    if group_by == "territory":
        names = await repository.territory_names(request.app.state.pool, keys)
        return {k: v["name"] for k, v in names.items()}
    return {}


@router.get("/exports/counts.csv", response_class=Response)
async def export_counts(
    request: Request,
    scope: FiguresScope,
    kind: RankKind = "qpv",
    start: FromDate = None,
    end: ToDate = None,
) -> Response:
    """Counts per territory of a kind and category over the period, as CSV (UTF-8)."""
    period = _period(start, end)
    places, counts = await repository.export_counts(
        request.app.state.pool, kind=kind, period=period, landlord_id=scope.landlord_id
    )
    codes = [c.code for c in _nomenclature(request).categories]
    text = counts_csv(places=places, counts=counts, categories=codes)
    filename = export_filename(kind=kind, start=period.start, end=period.end)
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/live/alerts", response_class=StreamingResponse)
async def live_alerts(
    request: Request,
    principal: CurrentPrincipal,
    authorization: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """The alerts service's live stream (SSE), relayed for the dashboard; 503 when absent."""
    del principal  # authenticated here; the alerts service applies its own scope
    feed: AlertsFeed = request.app.state.alerts
    try:
        chunks = await feed.stream(authorization or "")
    except AlertsUnavailable as exc:
        code = "unavailable" if exc.status == 503 else "forbidden"
        raise ApiError(exc.status, code, str(exc)) from None
    return StreamingResponse(
        chunks, media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )
