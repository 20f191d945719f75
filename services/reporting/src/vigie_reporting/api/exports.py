"""The counts CSV and the live alerts relay."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response, StreamingResponse

from vigie.platform.api import ApiError, CurrentPrincipal
from vigie_reporting import repository
from vigie_reporting.alerts_feed import AlertsUnavailable
from vigie_reporting.api.common import (
    FiguresScope,
    FromDate,
    RankKind,
    ToDate,
    period_of,
)
from vigie_reporting.api.deps import Alerts, CurrentNomenclature, Db
from vigie_reporting.csv_export import counts_csv, export_filename
from vigie_reporting.encoding import JsonResponse

router = APIRouter(default_response_class=JsonResponse)


@router.get("/exports/counts.csv", response_class=Response)
async def export_counts(
    scope: FiguresScope,
    db: Db,
    loaded: CurrentNomenclature,
    kind: RankKind = "qpv",
    start: FromDate = None,
    end: ToDate = None,
) -> Response:
    """Counts per territory of a kind and category over the period, as CSV (UTF-8)."""
    period = period_of(start, end)
    places, counts = await repository.export_counts(
        db, kind=kind, period=period, landlord_id=scope.landlord_id
    )
    codes = [c.code for c in loaded.categories]
    text = counts_csv(places=places, counts=counts, categories=codes)
    filename = export_filename(kind=kind, start=period.start, end=period.end)
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/live/alerts/{alert_id}/ack")
async def acknowledge_alert(
    alert_id: str,
    request: Request,
    feed: Alerts,
    principal: CurrentPrincipal,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """Acknowledge an alert from the dashboard: relayed to the alerts service with the caller's
    token (same origin for the page; the alerts service applies its own access rules)."""
    del principal  # authenticated here; the alerts service decides who may acknowledge
    try:
        status, body = await feed.acknowledge(
            alert_id, authorization=authorization or "", body=await request.body()
        )
    except AlertsUnavailable as exc:
        raise ApiError(exc.status, "unavailable", str(exc)) from None
    return Response(body, status_code=status, media_type="application/json")


@router.get("/live/alerts", response_class=StreamingResponse)
async def live_alerts(
    feed: Alerts,
    principal: CurrentPrincipal,
    authorization: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """The alerts service's live stream (SSE), relayed for the dashboard; 503 when absent."""
    del principal  # authenticated here; the alerts service applies its own scope
    try:
        chunks = await feed.stream(authorization or "")
    except AlertsUnavailable as exc:
        code = "unavailable" if exc.status == 503 else "forbidden"
        raise ApiError(exc.status, code, str(exc)) from None
    return StreamingResponse(
        chunks, media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )
