"""Incident CSV files for `vigie incidents import`: read and complete the lines, cut them into
request-sized chunks, map intake's rejections back to line numbers, write the error report.
Pure: text in, text out; the command does the I/O."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vigie.contract.events import REPORTED, FieldError

# docs/contract.md §3, in the order the chunks carry them.
EVENT_FIELDS = (
    "event_id",
    "type",
    "incident_id",
    "revision",
    "landlord_id",
    "territory_id",
    "residence_id",
    "category",
    "occurred_at",
    "severity",
    "target",
    "complaint",
    "cost_eur",
    "description",
)
FILLED = ("event_id", "type", "revision", "landlord_id")  # completed when absent or empty
MAX_CHUNK_ROWS = 10_000  # intake's batch limit (docs/contract.md §5)
MAX_CHUNK_BYTES = 16 * 1024 * 1024
CHUNK_ROWS = 2_000  # smaller than the limit: the progress bar moves, a retry re-sends less
MAX_LINE_BYTES = 1024 * 1024  # the single-event limit: no real incident line comes close
# Fixed forever: re-importing a file without event_ids must give the same event_ids.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c8a52-3c0e-5b9a-9a51-0d1e2f3a4b5c")


class IncidentFileError(ValueError):
    """The file as a whole cannot be imported (no header, unknown columns…)."""


@dataclass(frozen=True)
class LineError:
    """One problem on one line of the file."""

    line: int
    incident_id: str
    field: str
    message: str


@dataclass(frozen=True)
class Line:
    """A data line of the file, completed: every column of `columns` has a value (maybe '')."""

    number: int  # where the record starts in the file, header = line 1
    values: dict[str, str]


@dataclass
class IncidentFile:
    """What a file holds: lines to send, lines already known to be bad."""

    columns: tuple[str, ...]
    lines: list[Line] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Every data line of the file, good or bad."""
        return len(self.lines) + len({e.line for e in self.errors})


@dataclass(frozen=True)
class Chunk:
    """One batch request: a CSV body and the file line of each of its rows."""

    body: bytes
    lines: tuple[int, ...]
    incident_ids: tuple[str, ...]


def event_id_for(*, landlord_id: str, incident_id: str, revision: str) -> str:
    """The event_id of a line that has none: the same line always gets the same one."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{landlord_id}\x1f{incident_id}\x1f{revision}"))


def read_incident_csv(text: str, *, landlord_id: str) -> IncidentFile:
    """Parse the file, check its header, complete each line and set aside the lines that
    belong to another landlord. Validation proper is intake's job (the same as the API's)."""
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    # Spreadsheets set to French export with semicolons; decimal commas then stay unquoted.
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = _header(next(reader, None))
    columns = tuple(c for c in EVENT_FIELDS if c in header or c in FILLED)
    result = IncidentFile(columns)
    end = reader.line_num
    for values in reader:
        number, end = end + 1, reader.line_num
        if not any(v.strip() for v in values):
            continue  # blank lines are not incidents
        cells = dict(zip(header, values, strict=False))
        incident_id = cells.get("incident_id", "").strip()
        problem = _line_problem(values, header=header, landlord_id=landlord_id, cells=cells)
        if problem is not None:
            result.errors.append(LineError(number, incident_id, *problem))
            continue
        result.lines.append(Line(number, _completed(cells, columns, landlord_id=landlord_id)))
    return result


def _header(row: list[str] | None) -> list[str]:
    """The column names; raise IncidentFileError for a missing, unknown or repeated column."""
    if row is None or not any(c.strip() for c in row):
        raise IncidentFileError("the file is empty (a header row is expected)")
    header = [c.strip() for c in row]
    unknown = [c for c in header if c not in EVENT_FIELDS]
    if unknown:
        raise IncidentFileError(
            f"unknown column(s) {', '.join(repr(c) for c in unknown)}; "
            f"expected some of: {', '.join(EVENT_FIELDS)}"
        )
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        raise IncidentFileError(f"column(s) {', '.join(twice)} appear twice in the header")
    return header


def _line_problem(
    values: list[str], *, header: list[str], landlord_id: str, cells: dict[str, str]
) -> tuple[str, str] | None:
    """(field, message) when a line cannot be sent at all, else None."""
    if len(values) > len(header):
        return "(line)", f"{len(values)} values for {len(header)} columns"
    if sum(len(v) for v in values) > MAX_LINE_BYTES:
        return "(line)", "longer than 1 MiB"
    own = cells.get("landlord_id", "").strip()
    if own and own != landlord_id:
        return "landlord_id", f"is {own!r} but the import is for --landlord {landlord_id!r}"
    return None


def _completed(
    cells: dict[str, str], columns: Sequence[str], *, landlord_id: str
) -> dict[str, str]:
    """The line's values with the defaults of an import filled in."""
    values = {c: cells.get(c, "") for c in columns}
    values["landlord_id"] = landlord_id
    values["type"] = values["type"].strip() or REPORTED
    revision = values["revision"].strip() or "1"
    values["revision"] = str(int(revision)) if revision.isdigit() else revision
    incident_id = values.get("incident_id", "").strip()
    if not values["event_id"].strip() and incident_id:
        values["event_id"] = event_id_for(
            landlord_id=landlord_id, incident_id=incident_id, revision=values["revision"]
        )
    return values


def chunk_lines(
    file: IncidentFile, *, max_rows: int = CHUNK_ROWS, max_bytes: int = MAX_CHUNK_BYTES
) -> Iterator[Chunk]:
    """The lines as CSV request bodies of at most `max_rows` rows and `max_bytes` bytes."""
    max_rows = min(max_rows, MAX_CHUNK_ROWS)
    header = _csv_row(file.columns)
    rows: list[bytes] = []
    lines: list[int] = []
    ids: list[str] = []
    size = len(header)
    for line in file.lines:
        encoded = _csv_row([line.values[c] for c in file.columns])
        if rows and (len(rows) >= max_rows or size + len(encoded) > max_bytes):
            yield Chunk(header + b"".join(rows), tuple(lines), tuple(ids))
            rows, lines, ids, size = [], [], [], len(header)
        rows.append(encoded)
        lines.append(line.number)
        ids.append(line.values.get("incident_id", ""))
        size += len(encoded)
    if rows:
        yield Chunk(header + b"".join(rows), tuple(lines), tuple(ids))


def _csv_row(values: Sequence[str]) -> bytes:
    """One CSV record, encoded."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue().encode()


def line_errors(chunk: Chunk, *, index: int, errors: Sequence[FieldError]) -> list[LineError]:
    """Intake's verdict on row `index` of a chunk, as errors on the file's line."""
    if not 0 <= index < len(chunk.lines):
        return [LineError(0, "", "(batch)", f"intake rejected row {index} of a chunk")]
    line, incident_id = chunk.lines[index], chunk.incident_ids[index]
    if not errors:
        return [LineError(line, incident_id, "(line)", "rejected")]
    return [LineError(line, incident_id, e.field, e.message) for e in errors]


def report_path(path: Path) -> Path:
    """Where the error report of an import goes: next to the file."""
    return path.with_name(path.name + ".errors.csv")


def errors_csv(errors: Sequence[LineError]) -> str:
    """The error report: one row per problem, in file order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("line", "incident_id", "field", "message"))
    for error in sorted(errors, key=lambda e: (e.line, e.field)):
        writer.writerow((error.line, error.incident_id, error.field, error.message))
    return buffer.getvalue()
