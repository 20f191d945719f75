"""The incident event (docs/contract.md §3): the one shape landlords send and every service reads.

The rules of the contract's table are validation rules here, so a parsed event is a valid one:
strict types, known category, bounded timestamps, masked description. Territory existence needs
the database and is checked by the services that hold the territory list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, get_args
from uuid import UUID

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from vigie.contract.nomenclature import default_nomenclature
from vigie.contract.privacy import mask_personal_data

REPORTED = "incident.reported"
CORRECTED = "incident.corrected"
WITHDRAWN = "incident.withdrawn"

MAX_FUTURE = timedelta(minutes=5)
MAX_AGE = timedelta(days=5 * 365 + 1)  # five years, leap day included
_MAX_FUTURE_S = MAX_FUTURE.total_seconds()
_MAX_AGE_S = MAX_AGE.total_seconds()

Target: TypeAlias = Literal["patrimoine", "personnel", "prestataire", "locataire", "autre"]
Complaint: TypeAlias = Literal["plainte", "main_courante", "aucune", "inconnu"]
# The values of each, in the contract's order, for code that lists or draws them.
TARGETS: tuple[str, ...] = get_args(Target)
COMPLAINTS: tuple[str, ...] = get_args(Complaint)

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=False)]


UNKNOWN_CATEGORY = "unknown category code (see GET /v1/nomenclature)"
if TYPE_CHECKING:
    CategoryCode: TypeAlias = str
else:
    # A Literal of the nomenclature's codes: checked inside pydantic-core, not by a Python
    # callback per event (the aggregator validates every event it reads).
    CategoryCode = Literal[tuple(sorted(default_nomenclature().category_codes()))]


def _masked(text: str, info: ValidationInfo) -> str:
    # A reader that drops the description (the aggregator) can skip the masking's regexes.
    if info.context and info.context.get("mask") is False:
        return text
    return mask_personal_data(text)


Description = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_masked)]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    event_id: UUID
    incident_id: Identifier
    revision: Annotated[int, Field(ge=1)]
    landlord_id: Identifier


class IncidentState(_Event):
    """`incident.reported` or `incident.corrected`: the whole state of the incident."""

    type: Literal["incident.reported", "incident.corrected"]
    territory_id: Identifier
    residence_id: Identifier | None = None
    category: CategoryCode
    occurred_at: AwareDatetime
    severity: Annotated[int, Field(ge=1, le=4)]
    target: Target
    complaint: Complaint
    cost_eur: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    description: Description | None = None

    @field_validator("occurred_at")
    @classmethod
    def _within_bounds(cls, value: datetime, info: ValidationInfo) -> datetime:
        context = info.context or {}
        if context.get("check_time", True) is False:
            return value
        now: datetime = context.get("now") or datetime.now(UTC)
        # As POSIX seconds: comparing datetimes whose tzinfo is pydantic's costs ~0.6 µs each,
        # which adds up for a reader validating every event.
        moment, reference = value.timestamp(), now.timestamp()
        if moment > reference + _MAX_FUTURE_S:
            raise ValueError("must not be more than 5 minutes in the future")
        if moment < reference - _MAX_AGE_S:
            raise ValueError("must not be older than 5 years")
        return value


class IncidentWithdrawn(_Event):
    """`incident.withdrawn`: the incident leaves every count. `territory_id` is optional and
    only used as the Kafka key."""

    type: Literal["incident.withdrawn"]
    territory_id: Identifier | None = None


IncidentEvent: TypeAlias = Annotated[IncidentState | IncidentWithdrawn, Field(discriminator="type")]
_adapter: TypeAdapter[IncidentState | IncidentWithdrawn] = TypeAdapter(IncidentEvent)


class FieldError(BaseModel):
    """One problem with one field, as the API reports it."""

    field: str
    message: str


class EventValidationError(ValueError):
    """An event that breaks the contract, with every bad field named."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


def parse_event(
    raw: bytes | str, *, now: datetime | None = None, mask: bool = True
) -> IncidentState | IncidentWithdrawn:
    """Parse and validate one JSON event; raise EventValidationError naming every bad field.
    `mask=False` leaves the description unmasked, for readers that do not keep it."""
    try:
        return _adapter.validate_json(raw, context={"now": now, "mask": mask})
    except ValidationError as exc:
        raise EventValidationError(field_errors(exc)) from None


def validate_event(
    data: Any, *, now: datetime | None = None, check_time: bool = True
) -> IncidentState | IncidentWithdrawn:
    """Validate an already-decoded JSON value (a dict from orjson, a CSV row coerced to JSON)."""
    return parse_event(orjson.dumps(data), now=now) if check_time else _untimed(data)


def _untimed(data: Any) -> IncidentState | IncidentWithdrawn:
    try:
        return _adapter.validate_json(orjson.dumps(data), context={"check_time": False})
    except ValidationError as exc:
        raise EventValidationError(field_errors(exc)) from None


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Turn pydantic errors into (field, message) pairs without the union's tag in the path."""
    result: list[FieldError] = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        if loc and loc[0] in (REPORTED, CORRECTED, WITHDRAWN):
            loc = loc[1:]
        if error["type"] == "union_tag_invalid":
            field, message = "type", f"must be one of {REPORTED}, {CORRECTED}, {WITHDRAWN}"
        elif error["type"] == "union_tag_not_found":
            field, message = "type", "field required"
        elif error["type"] == "model_type" or error["type"] == "model_attributes_type":
            field, message = "(body)", "must be a JSON object"
        elif error["type"] == "json_invalid":
            field, message = "(body)", f"invalid JSON: {error['msg']}"
        elif error["type"] == "extra_forbidden":
            field, message = ".".join(loc), "unknown field"
        elif error["type"] == "literal_error" and loc == ["category"]:
            field, message = "category", UNKNOWN_CATEGORY
        else:
            field = ".".join(loc) or "(body)"
            message = error["msg"].removeprefix("Value error, ")
        result.append(FieldError(field=field, message=message))
    return result


def event_key(event: IncidentState | IncidentWithdrawn) -> bytes:
    """The Kafka key (docs/contract.md §6): the territory, or the landlord for a bare withdrawal."""
    return (event.territory_id or event.landlord_id).encode()


def event_json(event: IncidentState | IncidentWithdrawn) -> bytes:
    """The event as published: compact JSON, unset optionals left out."""
    return event.model_dump_json(exclude_none=True).encode()


# CSV carries text only: these columns become JSON numbers before validation, so that a CSV
# line and a JSON event go through exactly the same rules.
_INT_COLUMNS = ("revision", "severity")
_NUMBER_COLUMNS = ("cost_eur",)


def coerce_csv_row(row: Mapping[str, str | None]) -> dict[str, Any]:
    """A CSV row as the JSON object it stands for: empty cells absent, numbers as numbers."""
    data: dict[str, Any] = {}
    for key, value in row.items():
        if key is None or value is None:
            continue
        value = value.strip()
        if value == "":
            continue
        data[key.strip()] = _number(key, value)
    return data


def _number(key: str, value: str) -> Any:
    try:
        if key in _INT_COLUMNS:
            return int(value)
        if key in _NUMBER_COLUMNS:
            number = float(value.replace(",", "."))
            return value if not math.isfinite(number) else number
    except ValueError:
        return value
    return value
