"""Incident CSV files: completion of lines, chunks, line numbers of rejections, the report."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import pytest

from tests.support.cli import NOW
from vigie.contract.events import FieldError, IncidentState, coerce_csv_row, validate_event
from vigie_cli.incident_csv import (
    Chunk,
    IncidentFileError,
    LineError,
    chunk_lines,
    errors_csv,
    event_id_for,
    line_errors,
    read_incident_csv,
    report_path,
)

HEADER = "incident_id,territory_id,category,occurred_at,severity,target,complaint,cost_eur"


def _line(n: int, *, territory: str = "QN09328M") -> str:
    return f"INC-{n},{territory},BIE-TAG,2026-11-20T10:00:00+01:00,2,patrimoine,aucune,{n}.5"


def _rows(chunk: Chunk) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(chunk.body.decode())))


def test_lines_are_completed_with_the_import_defaults() -> None:
    file = read_incident_csv(f"{HEADER}\n{_line(1)}\n", landlord_id="bailleur-a")
    (line,) = file.lines
    assert line.number == 2
    assert line.values["landlord_id"] == "bailleur-a"
    assert line.values["type"] == "incident.reported"
    assert line.values["revision"] == "1"
    assert uuid.UUID(line.values["event_id"]) == uuid.UUID(
        event_id_for(landlord_id="bailleur-a", incident_id="INC-1", revision="1")
    )


def test_completed_lines_pass_the_api_validation() -> None:
    file = read_incident_csv(f"{HEADER}\n{_line(1)}\n{_line(2)}\n", landlord_id="bailleur-a")
    (chunk,) = chunk_lines(file)
    for row in _rows(chunk):
        event = validate_event(coerce_csv_row(dict(row)), now=NOW)
        assert event.landlord_id == "bailleur-a"


def test_event_ids_are_stable_and_distinct() -> None:
    text = f"{HEADER},revision\n{_line(1)},1\n{_line(1)},2\n{_line(2)},01\n"
    first = read_incident_csv(text, landlord_id="bailleur-a")
    again = read_incident_csv(text, landlord_id="bailleur-a")
    other = read_incident_csv(text, landlord_id="bailleur-b")
    ids = [line.values["event_id"] for line in first.lines]
    assert ids == [line.values["event_id"] for line in again.lines]
    assert len(set(ids)) == 3
    assert set(ids).isdisjoint(line.values["event_id"] for line in other.lines)
    assert first.lines[2].values["revision"] == "1"  # "01" and "1" are the same revision
    assert ids[2] == event_id_for(landlord_id="bailleur-a", incident_id="INC-2", revision="1")


def test_given_values_are_kept() -> None:
    given = "0b6f1f3e-9d4c-4d0a-8a37-2f6f7d4b9c11"
    text = (
        f"event_id,type,revision,landlord_id,{HEADER}\n"
        f"{given},incident.corrected,3,bailleur-a,{_line(1)}\n"
    )
    (line,) = read_incident_csv(text, landlord_id="bailleur-a").lines
    assert line.values["event_id"] == given
    assert line.values["type"] == "incident.corrected"
    assert line.values["revision"] == "3"


def test_another_landlords_line_is_an_error_with_its_line_number() -> None:
    text = f"landlord_id,{HEADER}\n,{_line(1)}\nbailleur-b,{_line(2)}\nbailleur-a,{_line(3)}\n"
    file = read_incident_csv(text, landlord_id="bailleur-a")
    assert [line.number for line in file.lines] == [2, 4]
    (error,) = file.errors
    assert (error.line, error.incident_id, error.field) == (3, "INC-2", "landlord_id")
    assert "bailleur-b" in error.message
    assert file.total == 3


def test_line_numbers_follow_the_file_across_quoted_newlines_and_blank_lines() -> None:
    text = (
        f"{HEADER},description\n"
        f'{_line(1)},"first line\nsecond line"\n'
        "\n"
        f"{_line(2)},plain\n"
        f"{_line(3)},x,too many\n"
    )
    file = read_incident_csv(text, landlord_id="bailleur-a")
    assert [line.number for line in file.lines] == [2, 5]
    assert file.lines[0].values["description"] == "first line\nsecond line"
    assert [(e.line, e.field) for e in file.errors] == [(6, "(line)")]


def test_semicolons_and_decimal_commas_from_french_spreadsheets() -> None:
    text = (
        "\ufeffincident_id;territory_id;category;occurred_at;severity;target;complaint;cost_eur\n"
    )
    text += "INC-1;QN09328M;BIE-TAG;2026-11-20T10:00:00+01:00;2;patrimoine;aucune;1234,50\n"
    file = read_incident_csv(text, landlord_id="bailleur-a")
    (chunk,) = chunk_lines(file)
    (row,) = _rows(chunk)
    assert row["cost_eur"] == "1234,50"
    event = validate_event(coerce_csv_row(dict(row)), now=NOW)
    assert isinstance(event, IncidentState)
    assert event.cost_eur == 1234.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("\n\n", "empty"),
        (f"{HEADER},colour\n{_line(1)},red\n", "unknown column"),
        (f"{HEADER},category\n", "appear twice"),
    ],
)
def test_files_that_cannot_be_imported(text: str, message: str) -> None:
    with pytest.raises(IncidentFileError, match=message):
        read_incident_csv(text, landlord_id="bailleur-a")


def test_chunks_respect_row_and_byte_limits() -> None:
    text = HEADER + "\n" + "\n".join(_line(n) for n in range(25)) + "\n"
    file = read_incident_csv(text, landlord_id="bailleur-a")
    chunks = list(chunk_lines(file, max_rows=10))
    assert [len(c.lines) for c in chunks] == [10, 10, 5]
    assert [n for c in chunks for n in c.lines] == list(range(2, 27))
    assert [r["incident_id"] for c in chunks for r in _rows(c)] == [f"INC-{n}" for n in range(25)]
    small = list(chunk_lines(file, max_rows=100, max_bytes=1000))
    assert len(small) > 2
    assert all(len(c.body) <= 1000 for c in small)
    assert sum(len(c.lines) for c in small) == 25


def test_rejections_map_back_to_file_lines() -> None:
    text = f"{HEADER}\n{_line(0)}\n\n{_line(1, territory='QN99999X')}\n{_line(2)}\n"
    (chunk,) = chunk_lines(read_incident_csv(text, landlord_id="bailleur-a"))
    errors = line_errors(
        chunk, index=1, errors=[FieldError(field="territory_id", message="unknown territory")]
    )
    assert errors == [LineError(4, "INC-1", "territory_id", "unknown territory")]
    assert line_errors(chunk, index=2, errors=[]) == [LineError(5, "INC-2", "(line)", "rejected")]
    assert line_errors(chunk, index=9, errors=[])[0].field == "(batch)"


def test_the_report_lists_errors_in_file_order(tmp_path: Path) -> None:
    errors = [
        LineError(7, "INC-7", "severity", "must be ≤ 4"),
        LineError(3, "INC-3", "territory_id", "unknown territory"),
        LineError(3, "INC-3", "category", "unknown category"),
    ]
    rows = list(csv.reader(io.StringIO(errors_csv(errors))))
    assert rows == [
        ["line", "incident_id", "field", "message"],
        ["3", "INC-3", "category", "unknown category"],
        ["3", "INC-3", "territory_id", "unknown territory"],
        ["7", "INC-7", "severity", "must be ≤ 4"],
    ]
    assert report_path(tmp_path / "export.csv") == tmp_path / "export.csv.errors.csv"
