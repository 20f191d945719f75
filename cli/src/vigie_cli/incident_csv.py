"""Incident files for `vigie incidents import`: rows read one by one and turned into events
(`import_columns`), cut into request-sized chunks, intake's rejections mapped back to file lines
and said in French, the error report. Pure: text in, text out; the command does the I/O.

Decisions:
- Line numbers are the file's (the header is line 1), counting the physical lines of quoted
  cells that span several.
- The same (reference, revision) twice in a file: the second line is an error (it would carry
  the same event_id, and only one of the two could count).
- The report, `FILE.errors.csv` next to the file, is for a spreadsheet: `;`-separated UTF-8 with
  a BOM (so Excel reads the accents), one row per problem in file order: `ligne`, `référence`,
  `colonne` (as the file names it), `erreur` (in French).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from vigie.contract.events import FieldError
from vigie.platform.spreadsheet import csv_writer
from vigie_cli.import_columns import Columns, HeaderError, convert, map_header

MAX_CHUNK_ROWS = 10_000  # intake's batch limit (docs/contract.md §5)
MAX_CHUNK_BYTES = 16 * 1024 * 1024
CHUNK_ROWS = 5_000  # below the limit: the progress bar moves, a retry re-sends less
MAX_LINE_BYTES = 1024 * 1024  # the single-event limit: no real incident line comes close
REPORT_HEADER = ("ligne", "référence", "colonne", "erreur")

IncidentFileError = HeaderError


@dataclass(frozen=True)
class LineError:
    """One problem on one line of the file, in French."""

    line: int
    incident_id: str
    column: str
    message: str


@dataclass(frozen=True)
class Line:
    """A data line of the file, as the event it stands for."""

    number: int  # where the record starts in the file, header = line 1
    event: dict[str, Any]


@dataclass(frozen=True)
class Chunk:
    """One batch request: a JSON array body and the file line of each of its events."""

    body: bytes
    lines: tuple[int, ...]
    incident_ids: tuple[str, ...]


@dataclass
class IncidentReader:
    """Reads the data rows of a file into events, keeping the errors and counts."""

    columns: Columns
    landlord_id: str
    errors: list[LineError] = field(default_factory=list)
    rows: int = 0  # data rows seen, good or bad (blank lines are not rows)
    good: int = 0  # rows that became events
    _seen: set[str] = field(default_factory=set)

    def lines(self, records: Iterable[tuple[int, list[str]]]) -> Iterator[Line]:
        """The good lines among (line number, values) records; bad ones go to `errors`."""
        for number, values in records:
            if not "".join(values).strip():
                continue  # blank lines are not incidents
            self.rows += 1
            line = self._line(number, values)
            if line is not None:
                self.good += 1
                yield line

    def _line(self, number: int, values: list[str]) -> Line | None:
        columns = self.columns
        if len(values) > columns.width and any(v.strip() for v in values[columns.width :]):
            self._error(
                number, "", "(ligne)", f"{len(values)} valeurs pour {columns.width} colonnes"
            )
            return None
        if sum(map(len, values)) > MAX_LINE_BYTES:
            self._error(number, "", "(ligne)", "plus longue que 1 Mio")
            return None
        event, problems = convert(values, columns, landlord_id=self.landlord_id)
        incident_id = str(event["incident_id"])
        for field_name, message in problems:
            self._error(number, incident_id, columns.label(field_name), message)
        if problems:
            return None
        key = str(event["event_id"])
        if key in self._seen:
            self._error(
                number, incident_id, columns.label("incident_id"), "en double dans le fichier"
            )
            return None
        self._seen.add(key)
        return Line(number, event)

    def _error(self, line: int, incident_id: str, column: str, message: str) -> None:
        self.errors.append(LineError(line, incident_id, column, message))


def open_file(text: str, *, separator: str) -> tuple[Columns, Iterator[tuple[int, list[str]]]]:
    """The header's columns and an iterator of (line number, values) for the data rows."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    columns = map_header(next(reader, []))

    def records() -> Iterator[tuple[int, list[str]]]:
        end = reader.line_num
        for values in reader:
            number, end = end + 1, reader.line_num
            yield number, values

    return columns, records()


def count_rows(text: str, *, separator: str) -> int:
    """How many records follow the header (blank lines included): the progress bar's total."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    return max(0, sum(1 for _ in reader) - 1)


def chunk_lines(
    lines: Iterable[Line], *, max_rows: int = CHUNK_ROWS, max_bytes: int = MAX_CHUNK_BYTES
) -> Iterator[Chunk]:
    """The lines as JSON array bodies of at most `max_rows` events and `max_bytes` bytes."""
    max_rows = min(max_rows, MAX_CHUNK_ROWS)
    encoded: list[bytes] = []
    numbers: list[int] = []
    ids: list[str] = []
    size = 2
    for line in lines:
        item = orjson.dumps(line.event)
        if encoded and (len(encoded) >= max_rows or size + len(item) + 1 > max_bytes):
            yield Chunk(b"[" + b",".join(encoded) + b"]", tuple(numbers), tuple(ids))
            encoded, numbers, ids, size = [], [], [], 2
        encoded.append(item)
        numbers.append(line.number)
        ids.append(str(line.event.get("incident_id", "")))
        size += len(item) + 1
    if encoded:
        yield Chunk(b"[" + b",".join(encoded) + b"]", tuple(numbers), tuple(ids))


def line_errors(
    chunk: Chunk, *, index: int, errors: Sequence[FieldError], columns: Columns
) -> list[LineError]:
    """Intake's verdict on event `index` of a chunk, as French errors on the file's line."""
    if not 0 <= index < len(chunk.lines):
        return [LineError(0, "", "(lot)", f"intake a refusé l'élément {index} d'un lot")]
    line, incident_id = chunk.lines[index], chunk.incident_ids[index]
    if not errors:
        return [LineError(line, incident_id, "(ligne)", "refusée")]
    return [
        LineError(line, incident_id, columns.label(e.field), french(e.field, e.message))
        for e in errors
    ]


# The API's messages (docs/contract.md §3, pydantic's), said in French.
_FRENCH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^unknown territory"), "quartier inconnu (un code QPV est attendu, ex. QN09302M)"),
    (re.compile(r"^unknown category"), "catégorie inconnue (voir GET /v1/nomenclature)"),
    (re.compile(r"^Field required"), "obligatoire"),
    (re.compile(r"^must not be more than 5 minutes in the future"), "date dans le futur"),
    (re.compile(r"^must not be older than 5 years"), "date de plus de 5 ans"),
    (re.compile(r"^Input should be (less|greater) than or equal to (\S+)"), "hors limites"),
    (re.compile(r"^Input should be '"), "valeur non reconnue"),
    (re.compile(r"^String should have at most (\d+) characters?"), "trop long"),
    (re.compile(r"^String should have at least 1 character"), "vide"),
    (re.compile(r"^Input should be a valid UUID"), "identifiant d'événement (UUID) invalide"),
    (re.compile(r"^unknown field"), "colonne inconnue"),
    (re.compile(r"^must be this key's landlord"), "autre bailleur que celui de la clé"),
    (re.compile(r"^must be one of incident"), "type d'événement inconnu"),
]
_RANGES = {"severity": "entre 1 et 4", "revision": "1 ou plus", "cost_eur": "positif ou nul"}
_CHOICES = {
    "target": "patrimoine, personnel, prestataire, locataire ou autre",
    "complaint": "oui, non, main courante ou inconnu",
}


def french(field_name: str, message: str) -> str:
    """An API error message in French (the original when it is not one we know)."""
    for pattern, french_message in _FRENCH:
        match = pattern.match(message)
        if match is None:
            continue
        if french_message == "hors limites" and field_name in _RANGES:
            return f"doit être {_RANGES[field_name]}"
        if french_message == "valeur non reconnue" and field_name in _CHOICES:
            return f"attendu : {_CHOICES[field_name]}"
        if french_message == "trop long":
            return f"trop long (au plus {match.group(1)} caractères)"
        return french_message
    return f"refusé : {message}"


def report_path(path: Path) -> Path:
    """Where the error report of an import goes: next to the file."""
    return path.with_name(path.name + ".errors.csv")


def errors_csv(errors: Sequence[LineError]) -> str:
    """The error report: one row per problem, in file order (write it as `utf-8-sig`)."""
    buffer = io.StringIO()
    writer = csv_writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(REPORT_HEADER)
    for error in sorted(errors, key=lambda e: (e.line, e.column)):
        writer.writerow((error.line, error.incident_id, error.column, error.message))
    return buffer.getvalue()


def ignored_notice(columns: Columns) -> str | None:
    """A notice about ignored columns, if any."""
    if not columns.ignored:
        return None
    return "colonnes ignorées : " + ", ".join(f"« {c} »" for c in columns.ignored)
