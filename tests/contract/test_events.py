"""Every rule of the incident event (docs/contract.md §3), with accepted and rejected values."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vigie.contract.events import (
    EventValidationError,
    IncidentState,
    IncidentWithdrawn,
    coerce_csv_row,
    event_json,
    event_key,
    parse_event,
    validate_event,
)

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def reported(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "type": "incident.reported",
        "incident_id": "INC-1",
        "revision": 1,
        "landlord_id": "bailleur-93",
        "territory_id": "QN09301M",
        "category": "BIE-TAG",
        "occurred_at": "2026-06-14T22:30:00+02:00",
        "severity": 2,
        "target": "patrimoine",
        "complaint": "aucune",
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not ...}


def errors_of(data: Any) -> dict[str, str]:
    with pytest.raises(EventValidationError) as caught:
        validate_event(data, now=NOW)
    return {e.field: e.message for e in caught.value.errors}


def test_a_complete_report_is_accepted_with_its_fields() -> None:
    event = validate_event(
        reported(residence_id="RES-7", cost_eur=120.5, description="porte forcée"), now=NOW
    )
    assert isinstance(event, IncidentState)
    assert event.territory_id == "QN09301M"
    assert event.occurred_at == datetime(2026, 6, 14, 20, 30, tzinfo=UTC)
    assert event.cost_eur == 120.5
    assert event_key(event) == b"QN09301M"


def test_optional_fields_may_be_absent_and_stay_absent_when_published() -> None:
    event = validate_event(reported(), now=NOW)
    published = event_json(event)
    assert b"residence_id" not in published
    assert b"cost_eur" not in published
    assert b"description" not in published
    assert parse_event(published, now=NOW) == event


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("event_id", "not-a-uuid"),
        ("event_id", 12),
        ("event_id", ...),
        ("incident_id", ""),
        ("incident_id", "x" * 65),
        ("incident_id", 7),
        ("revision", 0),
        ("revision", -1),
        ("revision", "2"),
        ("revision", 1.5),
        ("revision", True),
        ("landlord_id", ""),
        ("landlord_id", ...),
        ("territory_id", ""),
        ("territory_id", ...),
        ("residence_id", ""),
        ("category", "XXX-YYY"),
        ("category", "bie-tag"),
        ("category", ...),
        ("occurred_at", "2026-06-14T22:30:00"),
        ("occurred_at", "2026-06-14"),
        ("occurred_at", "yesterday"),
        ("occurred_at", 1781000000),
        ("occurred_at", "2026-06-15T12:06:00+00:00"),
        ("occurred_at", "2021-06-01T00:00:00+00:00"),
        ("severity", 0),
        ("severity", 5),
        ("severity", "3"),
        ("target", "voisin"),
        ("target", ...),
        ("complaint", "oui"),
        ("complaint", ...),
        ("cost_eur", -0.01),
        ("cost_eur", "12"),
        ("cost_eur", "NaN"),
        ("description", "x" * 2001),
        ("description", 3),
        ("unexpected", "field"),
    ],
)
def test_each_rule_rejects_a_bad_value_naming_the_field(field: str, value: Any) -> None:
    assert field in errors_of(reported(**{field: value}))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("incident_id", "x" * 64),
        ("revision", 1),
        ("revision", 10_000),
        ("severity", 1),
        ("severity", 4),
        ("target", "personnel"),
        ("target", "prestataire"),
        ("target", "locataire"),
        ("target", "autre"),
        ("complaint", "plainte"),
        ("complaint", "main_courante"),
        ("complaint", "inconnu"),
        ("cost_eur", 0),
        ("cost_eur", 1500),
        ("description", "x" * 2000),
        ("occurred_at", "2026-06-15T12:04:00+00:00"),
        ("occurred_at", "2021-06-16T00:00:00+00:00"),
        ("occurred_at", "2026-06-15T08:00:00-03:00"),
        ("category", "PER-PHY"),
        ("type", "incident.corrected"),
    ],
)
def test_each_rule_accepts_a_good_value(field: str, value: Any) -> None:
    assert validate_event(reported(**{field: value}), now=NOW) is not None


def test_every_bad_field_is_named_at_once() -> None:
    errors = errors_of(reported(severity=9, category="NOPE", target="x", revision=0))
    assert set(errors) == {"severity", "category", "target", "revision"}


def test_a_withdrawal_needs_only_five_fields() -> None:
    event = validate_event(
        {
            "event_id": str(uuid.uuid4()),
            "type": "incident.withdrawn",
            "incident_id": "INC-1",
            "revision": 3,
            "landlord_id": "bailleur-93",
        },
        now=NOW,
    )
    assert isinstance(event, IncidentWithdrawn)
    assert event_key(event) == b"bailleur-93"


def test_a_withdrawal_missing_its_fields_names_them() -> None:
    errors = errors_of({"type": "incident.withdrawn"})
    assert {"event_id", "incident_id", "revision", "landlord_id"} <= set(errors)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"not json", "(body)"),
        (b"[1, 2]", "(body)"),
        (b'"text"', "(body)"),
        (b"{}", "type"),
        (b'{"type": "incident.deleted"}', "type"),
    ],
)
def test_malformed_bodies_are_reported(raw: bytes, field: str) -> None:
    with pytest.raises(EventValidationError) as caught:
        parse_event(raw, now=NOW)
    assert caught.value.errors[0].field == field


def test_time_bounds_can_be_left_to_the_caller() -> None:
    old = reported(occurred_at="2015-01-01T00:00:00+01:00")
    assert validate_event(old, check_time=False).revision == 1


def test_description_is_masked_by_the_model() -> None:
    event = validate_event(
        reported(description="Gardien: 06 12 34 56 78, mail jean.dupont@exemple.fr"), now=NOW
    )
    assert isinstance(event, IncidentState)
    assert event.description == "Gardien: [téléphone masqué], mail [e-mail masqué]"


def test_a_csv_row_goes_through_the_same_rules() -> None:
    row = {k: str(v) for k, v in reported(cost_eur="12,50", residence_id="").items()}
    data = coerce_csv_row(row)
    assert data["revision"] == 1
    assert data["severity"] == 2
    assert data["cost_eur"] == 12.5
    assert "residence_id" not in data
    assert validate_event(data, now=NOW).landlord_id == "bailleur-93"
    bad = coerce_csv_row({**row, "severity": "grave"})
    assert "severity" in errors_of(bad)


def test_the_future_bound_follows_the_clock_by_default() -> None:
    soon = datetime.now(UTC) + timedelta(minutes=10)
    with pytest.raises(EventValidationError):
        validate_event(reported(occurred_at=soon.isoformat()))
