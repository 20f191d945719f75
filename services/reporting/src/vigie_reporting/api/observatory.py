"""The annual observatory: `GET /v1/observatory?year=` (JSON), `/v1/observatory.csv` and
`/v1/observatory.pdf`, the same figures in three forms.

Every role reads it: the figures are the shared view (all landlords, suppressed). A key bound
to a landlord (landlord, or manager of a landlord) also gets an `own` block on every row, its
landlord's figures unsuppressed, so that it can place itself; an admin gets the shared view
only (the observatory is a publication; an admin's per-landlord detail is on the figures
endpoints).

The PDF carries an ETag (api/polling.py: a 304 when nothing the answer is computed from moved)
and is kept once rendered (documents/rendered.py) under its year, the landlord of its own block
and the snapshots of the roll-up of the year and the one before (observatory_store.built_years):
the same key, the same figures. A kept PDF prints the `as_of` of its render: the figures of the
year were already those then. Not covered, as for the ETags: a reload of the territory
reference (restart reporting after one)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from vigie.contract.nomenclature import Nomenclature
from vigie.platform.api import ApiError, CurrentPrincipal
from vigie.platform.auth import Principal
from vigie.platform.territories import COUNTRY_ID
from vigie_reporting import observatory_store, repository
from vigie_reporting.api.deps import CurrentNomenclature, Db, RenderedPdfs
from vigie_reporting.api.polling import Polled, PolledRoute
from vigie_reporting.csv_export import observatory_csv
from vigie_reporting.documents.observatory_report import observatory_html
from vigie_reporting.documents.pdf import render_pdf
from vigie_reporting.encoding import JsonResponse
from vigie_reporting.observatory import DEGRADATIONS, Place, Tree, fold, observatory
from vigie_reporting.periods import today_in_paris
from vigie_reporting.repository import Conn

router = APIRouter(default_response_class=JsonResponse, route_class=PolledRoute)

Year = Annotated[
    int | None, Query(ge=2000, le=2100, description="the year; default: the last complete one")
]


def year_of(year: int | None) -> int:
    """The asked year, or the last complete one; 422 for a year not begun."""
    this_year = today_in_paris().year
    if year is None:
        return this_year - 1
    if year > this_year:
        error = {"field": "year", "message": f"{year} has not begun"}
        raise ApiError(422, "invalid", f"{year} has not begun", errors=[error])
    return year


def own_landlord(principal: Principal) -> str | None:
    """The landlord whose own figures the caller gets beside the shared ones, if any."""
    if principal.role in ("landlord", "manager") and principal.landlord_id:
        return principal.landlord_id
    return None


async def observatory_of(
    db: Conn, *, nomenclature: Nomenclature, year: int, landlord_id: str | None
) -> dict[str, Any]:
    """The observatory's answer for a year."""
    categories = [c.code for c in nomenclature.categories]
    rows = await observatory_store.sums(
        db,
        year=year,
        categories=categories,
        domains=[c.domain for c in nomenclature.categories],
        degradations=list(DEGRADATIONS),
    )
    covered = await observatory_store.covered(db, year=year)
    places = await observatory_store.places(db)
    fresh = await repository.freshness(db)
    # Suppression is CPU work (up to seconds on sparse tables): off the event loop.
    body = await asyncio.to_thread(
        observatory,
        tree=Tree.of(Place(**p) for p in places),
        sums=fold(rows),
        covered=covered,
        nomenclature=nomenclature,
        landlord_id=landlord_id,
    )
    return {"year": year, "previous_year": year - 1, **body, "as_of": fresh["as_of"]}


@router.get("/observatory")
async def annual_observatory(
    principal: CurrentPrincipal, db: Db, loaded: CurrentNomenclature, year: Year = None
) -> dict[str, Any]:
    """Per région and département and for France: the year's indicators, suppressed, with
    their coverage and the change on the stable panel; `own` for a landlord's key."""
    return await observatory_of(
        db, nomenclature=loaded, year=year_of(year), landlord_id=own_landlord(principal)
    )


@router.get("/observatory.csv", response_class=Response)
async def annual_observatory_csv(
    principal: CurrentPrincipal, db: Db, loaded: CurrentNomenclature, year: Year = None
) -> Response:
    """The observatory as CSV: one line per territory, empty cells where suppressed."""
    chosen = year_of(year)
    body = await observatory_of(
        db, nomenclature=loaded, year=chosen, landlord_id=own_landlord(principal)
    )
    text = observatory_csv(body, domains=[d.code for d in loaded.domains])
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="vigie-observatoire-{chosen}.csv"'},
    )


@router.get("/observatory.pdf", response_class=Response)
async def annual_observatory_pdf(
    principal: CurrentPrincipal,
    db: Db,
    loaded: CurrentNomenclature,
    poll: Polled,
    kept: RenderedPdfs,
    year: Year = None,
) -> Response:
    """The observatory as a printable A4 document in French."""
    chosen = year_of(year)
    landlord_id = own_landlord(principal)
    await poll.guard(territory_id=COUNTRY_ID)
    headers = {
        **poll.headers,
        "Content-Disposition": f'inline; filename="vigie-observatoire-{chosen}.pdf"',
    }
    years = [chosen - 1, chosen]
    before = await observatory_store.built_years(db, years)
    key = (chosen, landlord_id, *(before.get(y) for y in years))
    pdf = kept.get(key) if len(before) == len(years) else None
    if pdf is None:
        body = await observatory_of(db, nomenclature=loaded, year=chosen, landlord_id=landlord_id)
        # WeasyPrint takes seconds: off the event loop, so other requests go on.
        pdf = await asyncio.to_thread(render_pdf, observatory_html(body, nomenclature=loaded))
        # Kept only when both years were built before and are unchanged after: the figures
        # are then those of the key (a year built or changed meanwhile is kept next time).
        if len(before) == len(years) and await observatory_store.built_years(db, years) == before:
            kept.put(key, pdf)
    return Response(pdf, media_type="application/pdf", headers=headers)
