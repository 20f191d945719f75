"""The CLSPD situation report (`GET /v1/shared/territories/{id}/report.pdf`) rendered through
the real HTTP API from real counter rows, then read back as a person would: pages turned into
images by `pdftoppm` (the first one saved as an artifact) and text by `pdftotext`. Checked: the
territory, figures equal to the shared summary's for the same period, French labels, suppressed
cells absent, and, for small counts, that nothing printed lets a hidden count be recomputed."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.reporting.conftest import BOURG, LANDY, SEMARD, Count, Reporting
from vigie.contract.nomenclature import default_nomenclature
from vigie_reporting import repository
from vigie_reporting.api.common import dirty_days_for
from vigie_reporting.documents.charts import Datum, bar_chart
from vigie_reporting.documents.maps import Shape, fit, map_svg
from vigie_reporting.documents.situation_report import (
    HIDDEN,
    change_text,
    count_text,
    decimal_text,
    share_text,
)
from vigie_reporting.periods import Period, bucket_starts, today_in_paris
from vigie_reporting.situation import gather, trend_period
from vigie_reporting.situation_figures import SituationFigures, situation_figures
from vigie_reporting.suppression import THRESHOLD, recoverable

pytestmark = pytest.mark.connected

NOMENCLATURE = default_nomenclature()
TODAY = today_in_paris()
PERIOD = Period(TODAY - timedelta(days=29), TODAY)
SAINT_DENIS = "COM-93066"
POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext") and shutil.which("pdfinfo")
needs_poppler = pytest.mark.skipif(
    not POPPLER, reason="poppler-utils (pdftoppm, pdftotext, pdfinfo) is not installed; CI has it"
)


async def report_of(reporting: Reporting, territory_id: str, token: str) -> bytes:
    """The report of the period, checked to be a PDF."""
    response = await reporting.get(
        f"/v1/shared/territories/{territory_id}/report.pdf",
        token,
        **{"from": PERIOD.start.isoformat(), "to": PERIOD.end.isoformat()},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return response.content


async def shared_summary(reporting: Reporting, territory_id: str, token: str) -> dict[str, Any]:
    """The API's shared summary of the same period."""
    response = await reporting.get(
        f"/v1/shared/territories/{territory_id}/summary",
        token,
        **{"from": PERIOD.start.isoformat(), "to": PERIOD.end.isoformat()},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def read_pdf(pdf: bytes, tmp_path: Path) -> tuple[str, int, Path]:
    """The PDF's text (layout kept), its page count, and its first page as a PNG."""
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], capture_output=True, text=True, check=True
    ).stdout
    info = subprocess.run(["pdfinfo", str(source)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))  # type: ignore[union-attr]
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(source),
         str(tmp_path / "page-1")],
        check=True,
    )  # fmt: skip
    return text, pages, tmp_path / "page-1.png"


def keep_first_page(png: Path, artifacts_dir: Path, name: str) -> None:
    """Save the first page as an artifact, after checking it is an A4 portrait image."""
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert abs(height / width - 297 / 210) < 0.01
    shutil.copyfile(png, artifacts_dir / name)


def plain(value: str) -> str:
    """A string as pdftotext gives it back (narrow no-break spaces become spaces)."""
    return value.replace("\u202f", " ").replace("\u00a0", " ")


def line_with(text: str, label: str) -> str:
    """The single line of the text that starts with `label` (tables keep one row a line)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith(label)]
    assert lines, f"no line starts with {label!r}"
    return lines[0]


def printed_counts(text: str) -> list[int]:
    """Every whole number printed, except dates, times, month labels, decimals and the map's
    scale bar (not counts)."""
    text = re.sub(r"(?<=\d) (?=\d{3}\b)", "", text)  # thousands: "1 572 410"
    text = re.sub(r"\d{2}/\d{2}/\d{4}|\d{2}:\d{2}|\d{2}/\d{2}|\d+,\d+|\d+ k?m\b", " ", text)
    return [int(t) for t in re.findall(r"(?<![\w-])\d+(?![\w-])", text)]


async def figures_of(reporting: Reporting, territory_id: str) -> SituationFigures:
    """The report's cell table and what it published, gathered as the route gathers it."""
    place = await repository.territory(reporting.db, territory_id)
    assert place is not None
    inputs = await gather(
        reporting.db,
        place,
        period=PERIOD,
        nomenclature=NOMENCLATURE,
        alerts=[],
        dirty=lambda row: dirty_days_for(dict(row), None),
    )
    return situation_figures(inputs, NOMENCLATURE)


@needs_poppler
async def test_the_report_of_a_commune_prints_the_shared_summarys_figures(
    reporting: Reporting, tmp_path: Path, artifacts_dir: Path
) -> None:
    # Counts in multiples of 5, so that the shared view's rounding keeps them as they are.
    day = TODAY - timedelta(days=3)
    await reporting.add_counts(
        [
            Count(LANDY, day, "BIE-TAG", "hlm-a", 10, plainte=5),
            Count(LANDY, day, "TRA-DEA", "hlm-b", 15, plainte=5, target="personnel"),
            Count(SEMARD, day, "PER-VER", "hlm-a", 20, plainte=10, target="personnel"),
            Count(SEMARD, day, "ENV-DEP", "hlm-b", 10),
            Count(LANDY, TODAY - timedelta(days=40), "BIE-TAG", "hlm-a", 25, plainte=5),
            *[
                Count(SEMARD, TODAY - timedelta(days=30 * n + 45), "BIE-TAG", "hlm-a", 5)
                for n in range(1, 10)
            ],
            Count(BOURG, day, "ENV-DEP", "hlm-c", 10),  # elsewhere: the national rate only
        ]
    )
    partner = await reporting.key("partner", territory_ids=[SAINT_DENIS])
    summary = await shared_summary(reporting, SAINT_DENIS, partner)
    text, pages, png = read_pdf(await report_of(reporting, SAINT_DENIS, partner), tmp_path)
    keep_first_page(png, artifacts_dir, "situation-report.png")

    assert 2 <= pages <= 4
    assert "Rapport de situation — groupe de travail CLSPD" in text
    assert "Saint-Denis · Commune" in text
    assert f"Période du {PERIOD.start:%d/%m/%Y} au {PERIOD.end:%d/%m/%Y}" in text
    for label in (
        "Faits pour 1 000 logements sociaux",
        "Tendance sur 12 mois",
        "Les quatre domaines GSUP et les catégories",
        "L'écart entre les faits et les plaintes",
        "Alertes en cours",
        "Note de méthode",
        "Secret statistique.",
        "Ce que Vigie ne saisit pas.",
    ):
        assert label in text
    for name in ("Plaine - Landy - Bailly", "Grand Centre - Sémard"):  # the map's legend
        assert name in text

    row = line_with(text, "Saint-Denis   ")
    assert row.split()[1] == count_text(summary["total"]) == "55"
    assert row.endswith(plain(decimal_text(summary["rate_per_1000_dwellings"])))
    # Dwellings are published like counts (rounded to the shared view's step).
    dwellings = (await figures_of(reporting, SAINT_DENIS)).value("dwellings")
    assert dwellings is not None
    assert abs(dwellings - summary["social_dwellings"]) <= 2
    assert plain(count_text(dwellings)) in row
    assert line_with(text, "Département : Seine-Saint-Denis").split()[3] == "55"
    assert line_with(text, "France entière").split()[2] == "65"
    assert plain(share_text(summary["complaint_rate"])) in line_with(text, "Période (du")
    assert plain(change_text(summary["trend_pct"])) in text
    for domain in NOMENCLATURE.domains:
        printed = line_with(text, domain.label).split()
        assert count_text(summary["by_domain"][domain.code]) in printed
    for category in NOMENCLATURE.categories:
        value = summary["by_category"][category.code]
        assert line_with(text, category.label).endswith(count_text(value))
    # Suppressed in the shared view, suppressed in the report.
    assert summary["by_category"]["ENV-JET"] is None
    assert line_with(text, "jets d'ordures par les fenêtres").endswith(HIDDEN)


@needs_poppler
async def test_no_printed_figure_lets_a_suppressed_count_be_recomputed(
    reporting: Reporting, tmp_path: Path, artifacts_dir: Path
) -> None:
    day = TODAY - timedelta(days=5)
    await reporting.add_counts(
        [
            Count(LANDY, day, "BIE-TAG", "hlm-a", 7, plainte=1),
            Count(LANDY, day, "PER-VER", "hlm-b", 3, plainte=2, target="personnel"),
            Count(LANDY, day, "TRA-DEA", "hlm-a", 6, plainte=3),
            Count(LANDY, TODAY - timedelta(days=1), "ENV-DEP", "hlm-a", 2),
            Count(LANDY, TODAY - timedelta(days=45), "BIE-TAG", "hlm-a", 4, plainte=1),
            Count(LANDY, TODAY - timedelta(days=120), "BIE-TAG", "hlm-a", 9, plainte=1),
            Count(LANDY, TODAY - timedelta(days=200), "PER-VER", "hlm-b", 1, plainte=1),
        ]
    )
    partner = await reporting.key("partner", territory_ids=[LANDY])
    summary = await shared_summary(reporting, LANDY, partner)
    text, _, png = read_pdf(await report_of(reporting, LANDY, partner), tmp_path)
    keep_first_page(png, artifacts_dir, "situation-report-small-counts.png")
    figures = await figures_of(reporting, LANDY)
    hidden = set(figures.hidden)

    # Every small count is hidden, none can be solved for from what is shown.
    assert {name for name, value in figures.cells.items() if value < THRESHOLD} <= hidden
    assert recoverable(figures.cells, hidden, figures.relations) == set()
    assert "by_category.PER-VER" in hidden
    assert "by_category.ENV-DEP" in hidden
    # What the shared summary hides, the report hides too (no differencing between the two).
    summary_hidden = {f"by_category.{k}" for k, v in summary["by_category"].items() if v is None}
    summary_hidden |= {f"by_domain.{k}" for k, v in summary["by_domain"].items() if v is None}
    assert summary_hidden <= hidden

    # Every number on the pages is a published count, or a known constant of the document:
    # the threshold, 12 months, "1 000 logements", the 2024 reference, years, page numbers.
    published = {value for value in figures.published.values() if value is not None}
    constants = {THRESHOLD, 12, 1000, 2024, TODAY.year, TODAY.year - 1, 1, 2, 3, 4}
    assert figures.value("total") in printed_counts(text)  # the reading finds the figures
    stray = [n for n in printed_counts(text) if n not in published | constants]
    assert stray == []
    for name in hidden & set(figures.cells):
        if figures.cells[name] not in published | constants:
            assert figures.cells[name] not in printed_counts(text), name
    assert line_with(text, "agression verbale, menaces").endswith(HIDDEN)


async def test_who_may_read_a_report(reporting: Reporting) -> None:
    await reporting.add_counts([Count(LANDY, TODAY, "BIE-TAG", "hlm-a", 5)])
    partner = await reporting.key("partner", territory_ids=[SAINT_DENIS])
    landlord = await reporting.key("landlord", landlord_id="hlm-a")
    manager = await reporting.key("manager", territory_ids=[SAINT_DENIS])
    path = "/v1/shared/territories/{}/report.pdf"
    assert (await reporting.get(path.format("QN99999X"), partner)).status_code == 404
    assert (await reporting.get(path.format(BOURG), partner)).status_code == 403
    assert (await reporting.get(path.format(LANDY), landlord)).status_code == 403
    response = await reporting.get(path.format(LANDY), manager)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert "situation-QN09337M-" in response.headers["content-disposition"]
    bad = await reporting.get(
        path.format(LANDY), partner, **{"from": "2026-02-01", "to": "2026-01-01"}
    )
    assert bad.status_code == 422


def test_the_trend_covers_twelve_calendar_months_up_to_the_periods_end() -> None:
    trend = trend_period(Period(date(2026, 11, 3), date(2026, 12, 2)))
    assert trend == Period(date(2026, 1, 1), date(2026, 12, 2))
    assert len(bucket_starts(trend, "month")) == 12


def test_a_map_fits_its_shapes_north_up_and_a_hidden_bar_has_no_height() -> None:
    square = [(2.0, 48.0), (2.1, 48.0), (2.1, 48.1), (2.0, 48.1), (2.0, 48.0)]
    projection = fit([square], width=200, height=100, margin=10)
    points = [projection(p) for p in square]
    assert all(0 <= x <= 200 and 0 <= y <= 100 for x, y in points)
    assert projection((2.0, 48.1))[1] < projection((2.0, 48.0))[1]  # north is up
    svg = map_svg([Shape([square], label="A", anchor=(2.05, 48.05))], width=200, height=100)
    assert svg.startswith("<svg")
    assert ">A</text>" in svg
    assert " km</text>" in svg
    bars = bar_chart([Datum("01/26", 40.0, "40"), Datum("02/26", None, HIDDEN)], height=100)
    # The shown bar is as tall as the plot, the hidden one a fixed dashed outline.
    assert "height='52.0'" in bars
    assert "stroke-dasharray" in bars
    assert f">{HIDDEN}</text>" in bars
