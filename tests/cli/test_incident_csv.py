"""Incident files for `vigie incidents import`: encodings and separators of real exports, French
columns and values, Paris dates, stable ids, line numbers, chunks, rejections said in French,
the report. Every event built here passes the API's own check."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.support.cli import NOW
from vigie.contract.events import FieldError, IncidentState, validate_event
from vigie_cli.import_columns import HeaderError, event_id_for, map_header, normalise
from vigie_cli.import_text import decode
from vigie_cli.incident_csv import (
    Chunk,
    IncidentReader,
    LineError,
    chunk_lines,
    errors_csv,
    french,
    line_errors,
    open_file,
    report_path,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "signalements-seine-saint-denis.csv"
HEADER = "incident_id,territory_id,category,occurred_at,severity,target,complaint,cost_eur"
FRENCH_HEADER = "Référence;Date;Heure;Code QPV;Catégorie;Gravité;Cible;Plainte;Coût (€);Commentaire"


def _line(n: int, *, territory: str = "QN09328M") -> str:
    return f"INC-{n},{territory},BIE-TAG,2026-11-20T10:00:00+01:00,2,patrimoine,aucune,{n}.5"


def _read(data: bytes | str, landlord: str = "bailleur-a") -> tuple[IncidentReader, list[Any]]:
    text = decode(data.encode() if isinstance(data, str) else data)
    columns, records = open_file(text.text, separator=text.separator)
    reader = IncidentReader(columns, landlord)
    return reader, list(reader.lines(records))


def _events(chunk: Chunk) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = orjson.loads(chunk.body)
    return events


def test_a_windows_1252_export_with_french_columns_and_values() -> None:
    text = (
        f"{FRENCH_HEADER}\r\n"
        "A-1;31/10/2026;22:15;qn09328m;Tags, graffitis;très grave;Personnel;oui;"
        "1 234,50 €;Tags à l'entrée, façade\r\n"
        'A-2;01/11/2026;8h05;QN09328M;ENV-DEP;1;patrimoine;non;0,5;"Dépôt ; devant le hall"\r\n'
        "A-3;02/11/26;;QN09328M;BIE-DEG;2;patrimoine;main courante;;\r\n"
        # Excel's French thousands separator is a no-break space (0xA0 in Windows-1252).
        "A-4;2026-11-03T10:00:00+00:00;;QN09328M;PER-VER;3;personnel;;1\u00a0000;\r\n"
    )
    decoded = decode(text.encode("cp1252"))
    assert (decoded.encoding, decoded.separator) == ("Windows-1252", ";")
    reader, lines = _read(text.encode("cp1252"))
    assert reader.errors == []
    first, second, third, fourth = (line.event for line in lines)
    # 31 October 22:15 in Paris is winter time (+01:00); 1 November too.
    assert first["occurred_at"] == "2026-10-31T22:15:00+01:00"
    assert (first["territory_id"], first["category"], first["severity"]) == (
        "QN09328M",
        "BIE-TAG",
        4,
    )
    assert (first["target"], first["complaint"], first["cost_eur"]) == (
        "personnel",
        "plainte",
        1234.5,
    )
    assert first["description"] == "Tags à l'entrée, façade"
    assert second["occurred_at"] == "2026-11-01T08:05:00+01:00"
    assert (second["complaint"], second["cost_eur"]) == ("aucune", 0.5)
    assert second["description"] == "Dépôt ; devant le hall"
    assert third["occurred_at"] == "2026-11-02T00:00:00+01:00"
    assert third["complaint"] == "main_courante"
    assert "cost_eur" not in third
    assert fourth["occurred_at"] == "2026-11-03T10:00:00+00:00"
    assert (fourth["complaint"], fourth["cost_eur"]) == ("inconnu", 1000.0)
    for event in (first, second, third, fourth):
        assert isinstance(validate_event(event, now=NOW), IncidentState)


def test_summer_time_and_encodings() -> None:
    summer = f"{FRENCH_HEADER}\nA-1;14/07/2026;23:30;QN09328M;BIE-TAG;1;patrimoine;non;;\n"
    for encoded in (
        summer.encode("utf-8"),
        b"\xef\xbb\xbf" + summer.encode("utf-8"),
        summer.encode("utf-16"),
        summer.encode("cp1252"),
    ):
        reader, (line,) = _read(encoded)
        assert line.event["occurred_at"] == "2026-07-14T23:30:00+02:00"
        assert reader.columns.label("severity") == "Gravité"
    assert decode(summer.encode("utf-16")).encoding == "UTF-16"
    assert decode(b"\xef\xbb\xbfa,b\n").encoding == "UTF-8 (BOM)"
    assert decode("a;é\n".encode()).encoding == "UTF-8"
    assert decode(b"a\tb\tc\n1\t2\t3\n").separator == "\t"
    assert decode(b'"x;y",b,c\n').separator == ","


def test_column_names_are_matched_without_case_accents_or_punctuation() -> None:
    assert normalise("  Coût (€) ") == "cout"
    assert normalise("N° fiche") == "n fiche"
    columns = map_header(
        ["N° fiche", "DATE", "heure", "Quartier", "CATEGORIE", "gravite", "cible", "Agent"]
    )
    assert columns.position["incident_id"] == 0
    assert columns.position["territory_id"] == 3
    assert columns.ignored == ("Agent",)
    assert columns.label("complaint") == "plainte"  # not in the file: its French name


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ([], "vide"),
        (["", " "], "vide"),
        (["date", "quartier", "catégorie", "gravité"], "colonne(s) manquante(s) : cible"),
        (["date", "date des faits"], "disent la même chose"),
    ],
)
def test_headers_that_cannot_be_imported(header: list[str], message: str) -> None:
    with pytest.raises(HeaderError, match=message.replace("(", r"\(").replace(")", r"\)")):
        map_header(header)


def test_values_that_cannot_be_read_are_errors_in_french() -> None:
    text = (
        f"{FRENCH_HEADER}\n"
        "A-1;32/01/2026;;QN09328M;BIE-TAG;1;patrimoine;non;;\n"
        "A-2;01/01/2026;;QN09328M;BIE-TAG;énorme;patrimoine;non;douze;\n"
        "A-3;01/01/2026;;QN09328M;BIE-TAG;1;patrimoine;non;;;en trop\n"
        "A-4;01/01/2026;;QN09328M;BIE-TAG;1;patrimoine;non;;\n"
        "A-4;01/01/2026;;QN09328M;BIE-DEG;1;patrimoine;non;;\n"
    )
    reader, lines = _read(text)
    assert [line.number for line in lines] == [5]
    assert [(e.line, e.incident_id, e.column) for e in reader.errors] == [
        (2, "A-1", "Date"),
        (3, "A-2", "Gravité"),
        (3, "A-2", "Coût (€)"),
        (4, "", "(ligne)"),
        (6, "A-4", "Référence"),
    ]
    assert reader.errors[0].message.startswith("date illisible")
    assert reader.errors[-1].message == "en double dans le fichier"
    assert (reader.rows, reader.good) == (5, 1)


def test_ids_are_stable_so_a_second_import_counts_nothing_twice() -> None:
    text = f"{HEADER},revision\n{_line(1)},1\n{_line(1)},2\n{_line(2)},01\n"
    _, first = _read(text)
    _, again = _read(text)
    _, other = _read(text, landlord="bailleur-b")
    ids = [line.event["event_id"] for line in first]
    assert ids == [line.event["event_id"] for line in again]
    assert len(set(ids)) == 3
    assert set(ids).isdisjoint(line.event["event_id"] for line in other)
    assert first[2].event["revision"] == 1  # "01" and "1" are the same revision
    assert ids[2] == event_id_for(landlord_id="bailleur-a", incident_id="INC-2", revision="1")
    # Without a reference, the line's content names the incident.
    plain = f"{FRENCH_HEADER}\n;01/11/2026;10:00;QN09328M;BIE-TAG;1;patrimoine;non;;\n"
    (unnamed,) = _read(plain)[1]
    assert unnamed.event["incident_id"].startswith("imp-")
    assert unnamed.event["incident_id"] == _read(plain)[1][0].event["incident_id"]


def test_given_values_are_kept_and_other_landlords_refused() -> None:
    given = "0b6f1f3e-9d4c-4d0a-8a37-2f6f7d4b9c11"
    text = (
        f"event_id,type,revision,landlord_id,{HEADER}\n"
        f"{given},incident.corrected,3,bailleur-a,{_line(1)}\n"
        f",,,bailleur-b,{_line(2)}\n"
        f",retrait,2,,INC-3,,,,,,,\n"
    )
    reader, (corrected, withdrawn) = _read(text)
    assert corrected.event["event_id"] == given
    assert (corrected.event["type"], corrected.event["revision"]) == ("incident.corrected", 3)
    assert withdrawn.event == {
        "type": "incident.withdrawn",
        "incident_id": "INC-3",
        "revision": 2,
        "landlord_id": "bailleur-a",
        "event_id": event_id_for(landlord_id="bailleur-a", incident_id="INC-3", revision="2"),
    }
    validate_event(withdrawn.event, now=NOW)
    ((line, column, message),) = [(e.line, e.column, e.message) for e in reader.errors]
    assert (line, column) == (3, "landlord_id")
    assert "bailleur-b" in message


def test_line_numbers_follow_the_file_across_quoted_newlines_and_blank_lines() -> None:
    text = (
        f"{HEADER},description\n"
        f'{_line(1)},"first line\nsecond line"\n'
        "\n"
        f"{_line(2)},plain\n"
        f"{_line(3)},x,too many\n"
    )
    reader, lines = _read(text)
    assert [line.number for line in lines] == [2, 5]
    assert lines[0].event["description"] == "first line\nsecond line"
    assert [(e.line, e.column) for e in reader.errors] == [(6, "(ligne)")]


def test_chunks_respect_row_and_byte_limits() -> None:
    text = HEADER + "\n" + "\n".join(_line(n) for n in range(25)) + "\n"
    _, lines = _read(text)
    chunks = list(chunk_lines(lines, max_rows=10))
    assert [len(c.lines) for c in chunks] == [10, 10, 5]
    assert [n for c in chunks for n in c.lines] == list(range(2, 27))
    assert [e["incident_id"] for c in chunks for e in _events(c)] == [f"INC-{n}" for n in range(25)]
    small = list(chunk_lines(lines, max_rows=100, max_bytes=1000))
    assert len(small) > 2
    assert all(len(c.body) <= 1000 for c in small)
    assert sum(len(c.lines) for c in small) == 25


def test_rejections_map_back_to_file_lines_in_french() -> None:
    text = f"{FRENCH_HEADER}\n" + "".join(
        f"A-{n};01/11/2026;10:00;{qpv};BIE-TAG;{severity};patrimoine;non;;\n"
        for n, qpv, severity in ((0, "QN09328M", 1), (1, "QN99999X", 1), (2, "QN09328M", 9))
    )
    reader, lines = _read(text)
    (chunk,) = chunk_lines(lines)
    unknown = FieldError(field="territory_id", message="unknown territory (see the reference)")
    too_high = FieldError(field="severity", message="Input should be less than or equal to 4")
    assert line_errors(chunk, index=1, errors=[unknown], columns=reader.columns) == [
        LineError(3, "A-1", "Code QPV", "quartier inconnu (un code QPV est attendu, ex. QN09302M)")
    ]
    assert line_errors(chunk, index=2, errors=[too_high], columns=reader.columns) == [
        LineError(4, "A-2", "Gravité", "doit être entre 1 et 4")
    ]
    assert line_errors(chunk, index=9, errors=[], columns=reader.columns)[0].column == "(lot)"
    assert french("target", "Input should be 'patrimoine', 'personnel' or 'autre'").startswith(
        "attendu : patrimoine"
    )
    assert french("x", "something new") == "refusé : something new"


def test_the_report_is_for_a_spreadsheet(tmp_path: Path) -> None:
    errors = [
        LineError(7, "INC-7", "Gravité", "doit être entre 1 et 4"),
        LineError(3, "INC-3", "Quartier", "quartier inconnu"),
        LineError(3, "INC-3", "Catégorie", "catégorie inconnue"),
    ]
    rows = list(csv.reader(io.StringIO(errors_csv(errors)), delimiter=";"))
    assert rows == [
        ["ligne", "référence", "colonne", "erreur"],
        ["3", "INC-3", "Catégorie", "catégorie inconnue"],
        ["3", "INC-3", "Quartier", "quartier inconnu"],
        ["7", "INC-7", "Gravité", "doit être entre 1 et 4"],
    ]
    assert report_path(tmp_path / "export.csv") == tmp_path / "export.csv.errors.csv"


def test_the_example_file_reads_with_its_intended_errors() -> None:
    reader, lines = _read(EXAMPLE.read_bytes(), landlord="seine-habitat")
    assert decode(EXAMPLE.read_bytes()).encoding == "Windows-1252"
    assert reader.columns.ignored == ("Service",)
    assert len(lines) == 14  # the unreadable date is refused here; the rest is intake's job
    assert [(e.line, e.column) for e in reader.errors] == [(10, "Date")]
    masked = next(line for line in lines if line.event["incident_id"] == "2026-1105")
    assert masked.event["complaint"] == "main_courante"
    assert "06 12 34 56 78" in masked.event["description"]  # intake masks it
