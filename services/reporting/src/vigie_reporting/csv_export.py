"""The CSV files of reporting, pure: the counts (`GET /v1/exports/counts.csv`) and the annual
observatory (`observatory_csv`).

The counts: one row per territory of the asked kind, every territory listed (zeros included)
so that the file joins cleanly with the reference; a header row of stable machine names: the
identity columns, then `total`, `plainte`, `rate_per_1000_dwellings` (dot decimal), then one
column per category code of the nomenclature. Both files: comma-separated, UTF-8 without BOM
(accented names as is), every cell through `csv_writer` (no formula runs)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from vigie.platform.spreadsheet import csv_writer
from vigie_reporting.figures import rate_per_1000

IDENTITY = ("territory_id", "name", "kind", "departement_code", "region_code", "social_dwellings")


def counts_csv(
    *,
    places: Iterable[Mapping[str, Any]],
    counts: Iterable[Mapping[str, Any]],
    categories: list[str],
) -> str:
    """The CSV text."""
    per_place: dict[str, dict[str, int]] = {}
    plaintes: dict[str, int] = {}
    for row in counts:
        cells = per_place.setdefault(row["territory_id"], {})
        cells[row["category"]] = cells.get(row["category"], 0) + row["incidents"]
        plaintes[row["territory_id"]] = plaintes.get(row["territory_id"], 0) + row["plainte"]
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow([*IDENTITY, "total", "plainte", "rate_per_1000_dwellings", *categories])
    for place in places:
        cells = per_place.get(place["territory_id"], {})
        total = sum(cells.values())
        rate = rate_per_1000(total, place["social_dwellings"])
        writer.writerow(
            [
                *(place[k] if place[k] is not None else "" for k in IDENTITY),
                total,
                plaintes.get(place["territory_id"], 0),
                "" if rate is None else rate,
                *(cells.get(code, 0) for code in categories),
            ]
        )
    return out.getvalue()


def export_filename(*, kind: str, start: date, end: date) -> str:
    """The download name, ASCII: `vigie-counts-qpv-2026-01-01-2026-01-30.csv`."""
    return f"vigie-counts-{kind}-{start.isoformat()}-{end.isoformat()}.csv"


def observatory_csv(body: Mapping[str, Any], *, domains: list[str]) -> str:
    """The annual observatory (`GET /v1/observatory.csv`): France, then each région followed by
    its départements, one line each; an empty cell is a suppressed figure (or one without a
    denominator). With a landlord's key, its own figures follow in `own_` columns."""
    own = "own" in body["national"]
    figures = [
        "facts",
        "facts_per_1000_dwellings",
        "plainte",
        "complaint_share",
        "degradations",
        "degradation_cost_eur",
        "degradation_cost_per_dwelling",
        *(f"domain_{d}" for d in domains),
        *(f"target_{t}" for t in ("residents", "staff", "property", "other")),
        "previous_facts",
        "panel_facts",
        "panel_previous_facts",
        "panel_change_pct",
    ]
    header = [
        "year",
        "kind",
        "territory_id",
        "name",
        "region_code",
        "social_dwellings",
        "landlords",
        "covered_dwellings",
        "covered_share",
        *figures,
        *((*(f"own_{f}" for f in figures), "own_share_of_facts") if own else ()),
    ]
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow(header)
    lines = [(body["national"], "")]
    for region in body["regions"]:
        lines.append((region, region["code"]))
        lines.extend((dep, region["code"]) for dep in region["departements"])
    for row, region_code in lines:
        coverage = row["coverage"]
        cells: list[Any] = [
            body["year"],
            row["kind"],
            row["territory_id"],
            row["name"],
            region_code,
            row["social_dwellings"],
            coverage["landlords"],
            coverage["covered_dwellings"],
            coverage["covered_share"],
            *_observatory_figures(row, domains),
        ]
        if own:
            cells.extend([*_observatory_figures(row["own"], domains), row["own"]["share_of_facts"]])
        writer.writerow(["" if c is None else c for c in cells])
    return out.getvalue()


def _observatory_figures(row: Mapping[str, Any], domains: list[str]) -> list[Any]:
    panel = row["panel"]
    return [
        row["facts"],
        row["facts_per_1000_dwellings"],
        row["plainte"],
        row["complaint_share"],
        row["degradations"],
        row["degradation_cost_eur"],
        row["degradation_cost_per_dwelling"],
        *(row["by_domain"][d] for d in domains),
        *(row["by_target"][t] for t in ("residents", "staff", "property", "other")),
        row["previous_facts"],
        panel["facts"],
        panel["previous_facts"],
        panel["change_pct"],
    ]
