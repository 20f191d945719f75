"""What the intake accepts, as pure functions: body splitting (JSON, JSON array, NDJSON, CSV),
the event rules of docs/contract.md §3 plus the two the shared model cannot check alone (a known
territory, the key's own landlord), and the contract's error shapes.

No I/O here: callers pass the known territory ids and the caller's landlord, so the same rules
serve the API, `vigie incidents import` (which posts CSV to the batch endpoint) and tests.

Decisions:
- A batch line is numbered by its position among the events of the body (0-based): the array
  index, the NDJSON line ignoring blank lines, the CSV data row after the header.
- CSV: UTF-8 (a BOM is allowed), a header row of §3 field names, `,` or `;` as separator (the
  one found in the header; spreadsheets in France write `;`). Empty cells are absent fields.
- A landlord key writing another landlord's event: the single endpoint answers 403; in a
  batch that line is rejected with reason `wrong_landlord` and the others go on.
- When an event breaks several rules, every bad field is named, the territory included.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Container, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeAlias

import orjson

from vigie.contract.events import (
    EventValidationError,
    FieldError,
    IncidentState,
    IncidentWithdrawn,
    coerce_csv_row,
    event_json,
    event_key,
    parse_event,
)

MediaKind: TypeAlias = Literal["json", "ndjson", "csv"]
Reason: TypeAlias = Literal["invalid", "unknown_territory", "wrong_landlord"]

UNKNOWN_TERRITORY = "unknown territory (see the reference territories)"
_MEDIA_TYPES: dict[str, MediaKind] = {
    "application/json": "json",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "application/x-jsonlines": "ndjson",
    "text/csv": "csv",
}
BATCH_MEDIA_TYPES = ("application/json", "application/x-ndjson", "text/csv")


class UnsupportedMediaType(ValueError):
    """A batch body in a format the endpoint does not read."""


class TooManyEvents(ValueError):
    """A batch with more events than allowed."""


class MalformedBody(ValueError):
    """A body that cannot even be split into events."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.errors = [FieldError(field="(body)", message=message)]


@dataclass(frozen=True, slots=True)
class Accepted:
    """A valid event, ready to publish."""

    index: int
    event: IncidentState | IncidentWithdrawn
    key: bytes
    value: bytes


@dataclass(frozen=True, slots=True)
class Rejected:
    """An event that is not published, and why."""

    index: int
    event_id: str | None
    landlord_id: str | None
    reason: Reason
    errors: list[FieldError]


Checked: TypeAlias = Accepted | Rejected


def media_kind(content_type: str | None) -> MediaKind:
    """The batch format named by a Content-Type header (parameters such as charset ignored)."""
    base = (content_type or "").split(";", 1)[0].strip().lower()
    kind = _MEDIA_TYPES.get(base)
    if kind is None:
        raise UnsupportedMediaType(
            f"Content-Type must be one of {', '.join(BATCH_MEDIA_TYPES)}, not {base or 'none'!r}"
        )
    return kind


def split_batch(body: bytes, kind: MediaKind, *, max_events: int) -> list[bytes]:
    """The JSON text of each event of a batch body; raise MalformedBody or TooManyEvents."""
    if kind == "json":
        lines = _json_array(body)
    elif kind == "ndjson":
        lines = [line for line in body.split(b"\n") if line.strip()]
    else:
        lines = list(_csv_rows(body))
    if len(lines) > max_events:
        raise TooManyEvents(f"a batch holds at most {max_events} events, this one {len(lines)}")
    return lines


def check_event(
    raw: bytes,
    *,
    index: int,
    known_territories: Container[str],
    landlord_id: str | None,
    now: datetime | None = None,
) -> Checked:
    """Validate one event's JSON: the §3 rules, a known territory and, when the caller is a
    landlord key (`landlord_id` set), that landlord only."""
    try:
        event = parse_event(raw, now=now)
    except EventValidationError as exc:
        return _rejected(
            raw, index=index, errors=exc.errors, known=known_territories, landlord_id=landlord_id
        )
    if landlord_id is not None and event.landlord_id != landlord_id:
        return Rejected(
            index,
            str(event.event_id),
            event.landlord_id,
            "wrong_landlord",
            [_wrong_landlord(landlord_id)],
        )
    if event.territory_id is not None and event.territory_id not in known_territories:
        return Rejected(
            index,
            str(event.event_id),
            event.landlord_id,
            "unknown_territory",
            [FieldError(field="territory_id", message=UNKNOWN_TERRITORY)],
        )
    return Accepted(index, event, event_key(event), event_json(event))


def rejected_json(rejected: Rejected) -> dict[str, Any]:
    """A rejected line as the batch answer reports it (docs/contract.md §5)."""
    return {
        "index": rejected.index,
        "event_id": rejected.event_id,
        "errors": errors_json(rejected.errors),
    }


def errors_json(errors: list[FieldError]) -> list[dict[str, str]]:
    """Field errors in the contract's error shape."""
    return [{"field": e.field, "message": e.message} for e in errors]


def _rejected(
    raw: bytes,
    *,
    index: int,
    errors: list[FieldError],
    known: Container[str],
    landlord_id: str | None,
) -> Rejected:
    """A rejection naming every problem, landlord and territory included."""
    # Slow path only: decode again to name the landlord and territory problems as well.
    data = _object(raw)
    event_id = _text(data.get("event_id"))
    sender = _text(data.get("landlord_id"))
    if landlord_id is not None and sender is not None and sender != landlord_id:
        return Rejected(index, event_id, sender, "wrong_landlord", [_wrong_landlord(landlord_id)])
    territory = _text(data.get("territory_id"))
    named = {e.field for e in errors}
    if territory is not None and "territory_id" not in named and territory not in known:
        errors = [*errors, FieldError(field="territory_id", message=UNKNOWN_TERRITORY)]
    reason: Reason = "invalid"
    if all(e.message == UNKNOWN_TERRITORY for e in errors):
        reason = "unknown_territory"
    return Rejected(index, event_id, sender, reason, errors)


def _wrong_landlord(landlord_id: str) -> FieldError:
    """The error for another landlord's event."""
    return FieldError(field="landlord_id", message=f"must be this key's landlord ({landlord_id})")


def _object(raw: bytes) -> dict[str, Any]:
    """The JSON object in raw, or an empty dict."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _text(value: object) -> str | None:
    """The value if it is a string."""
    return value if isinstance(value, str) else None


def _json_array(body: bytes) -> list[bytes]:
    """The JSON text of each element of a JSON array body."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(f"invalid JSON: {exc}") from None
    if not isinstance(data, list):
        raise MalformedBody("must be a JSON array of events")
    # Re-encoding one element costs about a microsecond and lets every line take the same path.
    return [orjson.dumps(item) for item in data]


def _csv_rows(body: bytes) -> Iterator[bytes]:
    """Each CSV data row as the JSON object it stands for."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedBody("CSV must be encoded in UTF-8") from None
    header = text.split("\n", 1)[0]
    if not header.strip():
        raise MalformedBody("CSV needs a header row of field names")
    delimiter = ";" if ";" in header and "," not in header else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    for row in reader:
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # a blank line
        extra = row.pop(None, None)
        data = coerce_csv_row(row)
        if extra:
            # Cells beyond the header: an unknown field, reported like one.
            data["(extra cells)"] = extra
        yield orjson.dumps(data)
