"""What the Open311 GeoReport v2 facade shows (docs/contract.md §5), as pure functions: a
service request's status from its incident's current revision, the full and the public view of a
request, the service list, the service definitions and the discovery document.

Decisions:
- The status follows the incident, as the aggregator stored it (`incidents`, read-only here):
  `closed` once withdrawn, else `open`. `updated_datetime` is the time of the last correction or
  withdrawal the aggregator applied (the request's own time until then); `status_notes` says
  in French what happened last. Until the aggregator has counted the incident, the request is
  `open`, "reçu".
- The service and the territory follow corrections too; a withdrawn incident keeps no state in
  `incidents`, so a closed request shows them as requested.
- The public view (no key: the request id is the capability) shows the status, the service and
  the dates only: no description, no position, no territory, no landlord.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from vigie.contract.events import COMPLAINTS, TARGETS
from vigie.contract.nomenclature import default_nomenclature

PARIS = ZoneInfo("Europe/Paris")
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this facade last changed in a way clients may care about (the discovery's changeset).
CHANGESET = "2026-12-01T00:00:00+01:00"
FORMATS = ("json", "xml")
MEDIA_TYPES = {"json": "application/json", "xml": "text/xml"}
OPEN, CLOSED = "open", "closed"
STATUSES = (OPEN, CLOSED)
SEVERITY_NAMES = {1: "mineure", 2: "modérée", 3: "grave", 4: "très grave"}


@dataclass(frozen=True, slots=True)
class RequestState:
    """A stored service request and what the aggregator holds of its incident."""

    service_request_id: str
    landlord_id: str
    service_code: str  # the current category (the requested one until counted, or withdrawn)
    territory_id: str  # idem
    territory_name: str | None  # None if the territory is not in the reference
    description: str | None
    lat: float | None
    long: float | None
    requested_datetime: datetime
    created_at: datetime
    revision: int | None  # None until the aggregator has counted the incident
    withdrawn: bool
    incident_updated_at: datetime | None
    severity: int | None
    target: str | None
    complaint: str | None


def status(state: RequestState) -> str:
    """`closed` once the incident is withdrawn, else `open`."""
    return CLOSED if state.withdrawn else OPEN


def status_notes(state: RequestState) -> str:
    """What happened last to the request, in French."""
    if state.revision is None:
        return "reçu, en cours d'enregistrement"
    if state.withdrawn:
        return f"retiré par le bailleur (révision {state.revision})"
    if state.revision > 1:
        return f"corrigé par le bailleur (révision {state.revision})"
    return "enregistré"


def updated_datetime(state: RequestState) -> datetime:
    """The last change: a correction or withdrawal, else the request's own time."""
    if state.incident_updated_at is not None and (state.withdrawn or (state.revision or 1) > 1):
        return max(state.incident_updated_at, state.created_at)
    return state.created_at


def w3c(moment: datetime) -> str:
    """A timestamp as GeoReport writes it (W3C, seconds, Paris offset)."""
    return moment.astimezone(PARIS).isoformat(timespec="seconds")


def _service_name(code: str) -> str:
    category = default_nomenclature().category(code)
    return category.label if category else code


def public_view(state: RequestState) -> dict[str, Any]:
    """What anyone holding the request id may read."""
    return {
        "service_request_id": state.service_request_id,
        "status": status(state),
        "status_notes": status_notes(state),
        "service_code": state.service_code,
        "service_name": _service_name(state.service_code),
        "requested_datetime": w3c(state.requested_datetime),
        "updated_datetime": w3c(updated_datetime(state)),
    }


def full_view(state: RequestState) -> dict[str, Any]:
    """What the request's landlord (or an admin) reads."""
    attributes: dict[str, Any] = {"territory_id": state.territory_id}
    for name in ("severity", "target", "complaint"):
        if (value := getattr(state, name)) is not None:
            attributes[name] = value
    return {
        **public_view(state),
        "description": state.description,
        "agency_responsible": state.landlord_id,
        "service_notice": None,
        "address": state.territory_name,
        "address_id": state.territory_id,
        "lat": state.lat,
        "long": state.long,
        "media_url": None,
        "attributes": attributes,
    }


def services() -> list[dict[str, Any]]:
    """One service per incident category; each has attributes (`metadata: true`)."""
    nomenclature = default_nomenclature()
    domains = {d.code: d.label for d in nomenclature.domains}
    return [
        {
            "service_code": c.code,
            "service_name": c.label,
            "description": f"{c.label} ({domains[c.domain]})",
            "metadata": True,
            "type": "realtime",
            "keywords": c.domain,
            "group": domains[c.domain],
        }
        for c in nomenclature.categories
    ]


def _values(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"key": key, "name": name} for key, name in pairs]


def service_definition(service_code: str) -> dict[str, Any] | None:
    """The attributes a request of this service may carry (`attribute[code]` in the form)."""
    if default_nomenclature().category(service_code) is None:
        return None
    attributes = [
        (
            "singlevaluelist",
            "severity",
            "Gravité (2 si absente)",
            _values([(str(k), v) for k, v in SEVERITY_NAMES.items()]),
        ),
        ("singlevaluelist", "target", "Cible (patrimoine si absente)", _values(_pairs(TARGETS))),
        (
            "singlevaluelist",
            "complaint",
            "Plainte déposée (inconnu si absente)",
            _values(_pairs(COMPLAINTS)),
        ),
        ("string", "territory_id", "Code du QPV, si lat/long ne sont pas donnés", None),
        ("string", "landlord_id", "Bailleur (clé admin seulement)", None),
    ]
    return {
        "service_code": service_code,
        "attributes": [
            {
                "variable": True,
                "code": code,
                "datatype": datatype,
                "required": False,
                "datatype_description": description,
                "order": order,
                "description": description,
                **({"values": values} if values is not None else {}),
            }
            for order, (datatype, code, description, values) in enumerate(attributes, start=1)
        ],
    }


def _pairs(codes: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(code, code.replace("_", " ")) for code in codes]


def discovery(endpoint_url: str) -> dict[str, Any]:
    """The GeoReport discovery document for this endpoint."""
    return {
        "changeset": CHANGESET,
        "contact": "l'administrateur Vigie de votre organisme",
        "key_service": (
            "une clé Vigie de rôle landlord (vigie keys create --role landlord --landlord ID)"
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": endpoint_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": [MEDIA_TYPES[f] for f in FORMATS],
            }
        ],
    }
