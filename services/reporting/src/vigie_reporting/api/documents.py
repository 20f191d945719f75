"""Printable documents: the CLSPD situation report of a territory, as PDF."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response

from vigie.contract.nomenclature import Nomenclature
from vigie.platform.api import ApiError, CurrentPrincipal
from vigie_reporting import repository
from vigie_reporting.access import shared_territories
from vigie_reporting.api.common import (
    FromDate,
    TerritoryId,
    ToDate,
    dirty_days_for,
    open_alerts_of,
    period_of,
    territory_of,
)
from vigie_reporting.api.deps import Alerts, CurrentNomenclature, Db
from vigie_reporting.documents.pdf import render_pdf
from vigie_reporting.documents.situation_report import situation_report_html
from vigie_reporting.situation import gather, qpv_outlines
from vigie_reporting.situation_figures import SituationInputs, situation_figures

router = APIRouter()


@router.get(
    "/shared/territories/{territory_id}/report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def situation_report(
    principal: CurrentPrincipal,
    db: Db,
    loaded: CurrentNomenclature,
    feed: Alerts,
    territory_id: TerritoryId,
    start: FromDate = None,
    end: ToDate = None,
) -> Response:
    """The CLSPD situation report (French, A4): map, rates, 12-month trend, GSUP domains,
    complaint gap, open alerts, method note; every count suppressed as in the shared view."""
    allowed = shared_territories(principal)
    period = period_of(start, end)
    place = await territory_of(db, territory_id)  # 404 before 403: unknown is unknown to all
    if allowed is not None and not await repository.is_within_any(db, territory_id, allowed):
        raise ApiError(403, "forbidden", f"this key does not cover {territory_id}")
    alerts = await open_alerts_of(db, feed, territory_id, landlord_id=None, shared=True)
    inputs = await gather(
        db,
        place,
        period=period,
        nomenclature=loaded,
        alerts=alerts,
        dirty=lambda row: dirty_days_for(dict(row), None),
    )
    # Suppression, layout and rendering are CPU work: off the event loop.
    pdf = await asyncio.to_thread(_render, inputs, loaded)
    filename = f"situation-{territory_id}-{period.start}-{period.end}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


def _render(inputs: SituationInputs, nomenclature: Nomenclature) -> bytes:
    figures = situation_figures(inputs, nomenclature)
    html = situation_report_html(inputs, figures, nomenclature, outlines=qpv_outlines())
    return render_pdf(html)
