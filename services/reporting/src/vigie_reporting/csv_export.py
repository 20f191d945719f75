"""The counts CSV (`GET /v1/exports/counts.csv`), pure.

One row per territory of the asked kind, every territory listed (zeros included) so that the file
joins cleanly with the reference. Comma-separated, UTF-8 without BOM (accented names as is),
a header row of stable machine names: the identity columns, then `total`, `plainte`,
`rate_per_1000_dwellings` (dot decimal), then one column per category code of the nomenclature."""

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
