"""Gathering the CLSPD situation report's raw figures from the database (the I/O half; the
suppression and the derived figures are in `situation_figures`, the page in
`documents.situation_report`).

Every figure comes from the same statements as the API's (the summary's, the monthly time
series'), all landlords, reading the roll-ups wherever the API would, so that the report's
counts are the shared summary's for the same period."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from vigie.contract.nomenclature import Nomenclature
from vigie.platform.territories import COUNTRY_ID, departement_id
from vigie_reporting import geo, repository
from vigie_reporting.documents.maps import Outline
from vigie_reporting.figures import summary_body, sums_from_rows
from vigie_reporting.periods import Period, bucket_starts
from vigie_reporting.repository import Conn
from vigie_reporting.situation_figures import Comparison, Month, Qpv, SituationInputs

TREND_MONTHS = 12
# Which days a roll-up may not serve for a territory row (None: read the counters), as the API
# decides it (`api.common.dirty_days_for`, all landlords); passed in so that this module does not
# depend on the HTTP layer.
DirtyDays = Callable[[Mapping[str, Any]], list[date] | None]
QPVS_INSIDE = repository.sql("qpvs_inside.sql")


def trend_period(period: Period) -> Period:
    """The 12 calendar months ending with the period's last day (the last one partial)."""
    start = period.end.replace(day=1)
    for _ in range(TREND_MONTHS - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    return Period(start, period.end)


async def qpvs_inside(conn: Conn, territory_id: str) -> list[Qpv]:
    """The QPVs of a territory (itself for a QPV), by name."""
    rows = await conn.fetch(QPVS_INSIDE, territory_id)
    return [Qpv(r["territory_id"], r["name"], r["social_dwellings"]) for r in rows]


async def gather(
    conn: Conn,
    place: dict[str, Any],
    *,
    period: Period,
    nomenclature: Nomenclature,
    alerts: list[dict[str, Any]],
    dirty: DirtyDays,
) -> SituationInputs:
    """The report's raw figures for a territory (`place`: its `territory_of` row)."""
    territory_id = place["territory_id"]
    rows = await repository.summary_rows(
        conn, territory_id, period=period, landlord_id=None, dirty=dirty(place)
    )
    body = summary_body(
        current=sums_from_rows(rows, current=True),
        previous=sums_from_rows(rows, current=False),
        nomenclature=nomenclature,
        social_dwellings=place["social_dwellings"],
    )
    trend = trend_period(period)
    found = await repository.timeseries(
        conn,
        territory_id,
        period=trend,
        bucket="month",
        categories=None,
        landlord_id=None,
        dirty=dirty(place),
    )
    months = [Month(start, *found.get(start, (0, 0))) for start in bucket_starts(trend, "month")]
    departement = None
    if place["kind"] in ("qpv", "commune") and place["departement_code"]:
        departement = await _comparison(
            conn, departement_id(place["departement_code"]), period, dirty
        )
    country = (
        await _comparison(conn, COUNTRY_ID, period, dirty) if territory_id != COUNTRY_ID else None
    )
    return SituationInputs(
        place=place,
        period=period,
        body=body,
        previous=sums_from_rows(rows, current=False),
        months=months,
        trend_period=trend,
        qpvs=await qpvs_inside(conn, territory_id),
        departement=departement,
        country=country,
        alerts=await _named(conn, alerts),
    )


async def _comparison(
    conn: Conn, territory_id: str, period: Period, dirty: DirtyDays
) -> Comparison | None:
    """A territory's total over the period (the monthly series' sum: roll-ups where they
    serve), with its name and dwellings."""
    other = await repository.territory(conn, territory_id)
    if other is None:
        return None
    found = await repository.timeseries(
        conn,
        territory_id,
        period=period,
        bucket="month",
        categories=None,
        landlord_id=None,
        dirty=dirty(other),
    )
    total = sum(incidents for incidents, _ in found.values())
    return Comparison(territory_id, other["name"], total, other["social_dwellings"])


async def _named(conn: Conn, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The alerts with the name of their territory (`territory_name`)."""
    ids = sorted({str(a.get("territory_id")) for a in alerts})
    names = await repository.territory_names(conn, ids) if ids else {}
    return [
        {**a, "territory_name": names.get(str(a.get("territory_id")), {}).get("name")}
        for a in alerts
    ]


@functools.cache
def qpv_outlines() -> dict[str, Outline]:
    """The reference perimeters of every QPV, simplified, with their centroids
    (`geo.qpv_map_json`, built once per process)."""
    document = json.loads(geo.qpv_map_json())
    return {
        qpv["id"]: Outline(
            centre=(float(qpv["c"][0]), float(qpv["c"][1])),
            rings=[[(float(x), float(y)) for x, y in ring] for ring in qpv["rings"]],
        )
        for qpv in document["qpvs"]
    }
