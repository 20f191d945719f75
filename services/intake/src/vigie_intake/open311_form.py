"""The Open311 GeoReport v2 request form (docs/contract.md §5) turned into an incident event. Pure.

Decisions: `attribute[severity]` defaults to 2, `attribute[target]` to `patrimoine` and
`attribute[complaint]` to `inconnu` (a citizen-facing form rarely knows them);
`requested_datetime` defaults to now; an admin key names the landlord with
`attribute[landlord_id]`, a landlord key is its own landlord. The territory comes from
`attribute[territory_id]`, else from `lat`/`long` resolved to the QPV containing the point."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vigie.contract.events import FieldError
from vigie.contract.privacy import mask_personal_data

DEFAULT_SEVERITY = 2
DEFAULT_TARGET = "patrimoine"
DEFAULT_COMPLAINT = "inconnu"

Locate = Callable[[float, float], str | None]


class FormError(ValueError):
    """A form that cannot become an event, with every bad field named."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class ServiceRequest:
    """A request as stored, and the event it becomes."""

    service_request_id: str
    event: dict[str, Any]
    lat: float | None
    long: float | None


def request_from_form(
    form: Mapping[str, str], *, landlord_id: str | None, locate: Locate, now: datetime
) -> ServiceRequest:
    """Build the event of a service request; raise FormError naming every bad field."""
    errors: list[FieldError] = []
    landlord = landlord_id or form.get("attribute[landlord_id]", "").strip()
    if not landlord:
        errors.append(
            FieldError(field="attribute[landlord_id]", message="required with an admin key")
        )
    lat, long = _coordinates(form, errors)
    territory = form.get("attribute[territory_id]", "").strip()
    if not territory and lat is not None and long is not None:
        territory = locate(lat, long) or ""
        if not territory:
            errors.append(FieldError(field="lat/long", message="the point lies in no QPV"))
    elif not territory and not errors:
        errors.append(
            FieldError(field="lat/long", message="give lat and long, or attribute[territory_id]")
        )
    severity = _integer(form, "attribute[severity]", DEFAULT_SEVERITY, errors)
    if errors:
        raise FormError(errors)
    request_id = uuid.uuid4().hex[:16]
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "type": "incident.reported",
        "incident_id": f"open311-{request_id}",
        "revision": 1,
        "landlord_id": landlord,
        "territory_id": territory,
        "category": form.get("service_code", "").strip(),
        "occurred_at": form.get("requested_datetime", "").strip()
        or now.astimezone(UTC).isoformat(),
        "severity": severity,
        "target": form.get("attribute[target]", "").strip() or DEFAULT_TARGET,
        "complaint": form.get("attribute[complaint]", "").strip() or DEFAULT_COMPLAINT,
    }
    if description := form.get("description", "").strip():
        # Masked here already: the request row stores it too.
        event["description"] = mask_personal_data(description)
    return ServiceRequest(request_id, event, lat, long)


# Event fields as the form names them, so that an error names what the requester sent.
FORM_FIELDS = {
    "category": "service_code",
    "occurred_at": "requested_datetime",
    "severity": "attribute[severity]",
    "target": "attribute[target]",
    "complaint": "attribute[complaint]",
    "territory_id": "attribute[territory_id]",
    "landlord_id": "attribute[landlord_id]",
    "description": "description",
}


def form_field(event_field: str) -> str:
    """The form field behind an event field."""
    return FORM_FIELDS.get(event_field, event_field)


def _coordinates(
    form: Mapping[str, str], errors: list[FieldError]
) -> tuple[float | None, float | None]:
    values: list[float | None] = []
    for name, bound in (("lat", 90.0), ("long", 180.0)):
        text = form.get(name, "").strip()
        if not text:
            values.append(None)
            continue
        try:
            value = float(text)
        except ValueError:
            errors.append(FieldError(field=name, message="must be a decimal number (WGS84)"))
            values.append(None)
            continue
        if not -bound <= value <= bound:
            errors.append(
                FieldError(field=name, message=f"must be between -{bound:g} and {bound:g}")
            )
            values.append(None)
            continue
        values.append(value)
    lat, long = values
    if (lat is None) != (long is None) and not errors:
        errors.append(FieldError(field="lat/long", message="give both lat and long"))
    return lat, long


def _integer(form: Mapping[str, str], name: str, default: int, errors: list[FieldError]) -> int:
    text = form.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit():
        errors.append(FieldError(field=name, message="must be an integer from 1 to 4"))
        return default
    return int(text)
