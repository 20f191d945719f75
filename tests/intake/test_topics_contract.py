"""The topics' published documents (docs/asyncapi.json, docs/incidents.v1.schema.json): the
copies in docs/ are what the code generates, intake serves them, and the JSON Schema of an event
agrees with the event models on what is accepted; the other topics' schemas accept what the
aggregator and alerts write."""

from __future__ import annotations

import copy
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from jsonschema import Draft202012Validator, FormatChecker

from tests.support.intake import Client, incident
from vigie.contract.events import EventValidationError, validate_event
from vigie_aggregator.notify import change_messages
from vigie_alerts.payloads import change_payload
from vigie_intake.topics_contract import (
    ASYNCAPI_FILE,
    SCHEMA_FILE,
    asyncapi_document,
    documents,
    event_schema,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
# JSON Schema's `date-time` is RFC 3339 (an offset is required); jsonschema checks it only with
# an optional package, so the rule is written here.
RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
FORMATS = FormatChecker()
FORMATS.checks("date-time")(
    lambda value: not isinstance(value, str) or bool(RFC3339.fullmatch(value))
)
EVENT = Draft202012Validator(event_schema(), format_checker=FORMATS)


def test_the_documents_in_docs_are_the_generated_ones() -> None:
    for name, content in documents().items():
        assert (DOCS / name).read_bytes() == content, (
            f"docs/{name} is stale: run `python -m vigie_intake.topics_contract docs`"
        )


async def test_intake_serves_them(intake: Client) -> None:
    served = await intake.get("/asyncapi.json")
    assert served.status_code == 200
    assert served.content == (DOCS / ASYNCAPI_FILE).read_bytes()
    schema = await intake.get("/schemas/incidents.v1.json")
    assert schema.headers["content-type"] == "application/schema+json"
    assert schema.content == (DOCS / SCHEMA_FILE).read_bytes()


def test_the_asyncapi_document_names_every_topic_with_its_key() -> None:
    document = asyncapi_document()
    assert document["asyncapi"] == "3.0.0"
    addresses = {c["address"] for c in document["channels"].values()}
    assert addresses == {
        "incidents.v1",
        "incidents.dlq.v1",
        "alerts.v1",
        "counters.changed.v1",
        "cases.v1",
    }
    messages = document["components"]["messages"]
    assert "case_id" in messages["cases.v1:Message"]["bindings"]["kafka"]["key"]["description"]
    key = messages["incidents.v1:Message"]["bindings"]["kafka"]["key"]
    assert "territory_id" in key["description"]
    assert set(messages["incidents.dlq.v1:Message"]["headers"]["required"]) == {
        "error",
        "source-topic",
        "source-partition",
        "source-offset",
    }
    # The event's payload there is the same union as the JSON Schema's.
    schemas = document["components"]["schemas"]
    assert schemas["IncidentState"] == event_schema()["$defs"]["IncidentState"]
    assert schemas["IncidentWithdrawn"] == event_schema()["$defs"]["IncidentWithdrawn"]


def _valid_events() -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    withdrawn = {
        "event_id": str(uuid.uuid4()),
        "type": "incident.withdrawn",
        "incident_id": "INC-1",
        "revision": 2,
        "landlord_id": "HLM-93",
    }
    return [
        incident(),
        incident(type="incident.corrected", revision=7, cost_eur=12.5, residence_id="R-1"),
        incident(description="x" * 2000, occurred_at=(now - timedelta(days=1)).isoformat()),
        incident(residence_id=None, cost_eur=0),
        withdrawn,
        {**withdrawn, "territory_id": "QN09302M"},
    ]


def _variants(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The event with each field in turn missing, wrong, out of range, or an extra one."""
    bad_values: dict[str, list[Any]] = {
        "event_id": ["not-a-uuid", 12, None],
        "type": ["incident.deleted", "", None],
        "incident_id": ["", "x" * 65, 3],
        "revision": [0, -1, "2", 1.5, None, True],
        "landlord_id": ["", "x" * 65, None],
        "territory_id": ["", "x" * 65, 93],
        "residence_id": ["", "x" * 65],
        "category": ["NOPE", "bie-tag", None],
        "occurred_at": ["2026-11-20T10:00:00", "20/11/2026", "", 1_700_000_000],
        "severity": [0, 5, "2", 2.5, None],
        "target": ["PATRIMOINE", "", None],
        "complaint": ["oui", None],
        "cost_eur": [-0.01, "12,50", True],
        "description": ["x" * 2001, 12],
    }
    variants = []
    for name in event:
        variants.append({k: v for k, v in event.items() if k != name})
    for name, values in bad_values.items():
        for value in values:
            changed = copy.deepcopy(event)
            changed[name] = value
            variants.append(changed)
    variants.append({**event, "categroy": "BIE-TAG"})
    return variants


def _accepted_by_models(event: dict[str, Any]) -> bool:
    try:
        validate_event(event, check_time=False)
    except EventValidationError:
        return False
    return True


@pytest.mark.parametrize("base", _valid_events(), ids=lambda e: f"{e['type']}")
def test_the_json_schema_accepts_what_the_models_accept(base: dict[str, Any]) -> None:
    assert EVENT.is_valid(base)
    assert _accepted_by_models(base)
    disagreements = [
        (variant, EVENT.is_valid(variant))
        for variant in _variants(base)
        if EVENT.is_valid(variant) != _accepted_by_models(variant)
    ]
    assert disagreements == []


def test_the_other_topics_schemas_accept_what_the_services_write() -> None:
    schemas = asyncapi_document()["components"]["schemas"]

    def validator(name: str) -> Draft202012Validator:
        document = {"$ref": f"#/components/schemas/{name}", "components": {"schemas": schemas}}
        return Draft202012Validator(document, format_checker=FORMATS)

    now = datetime.now(UTC)
    for message in change_messages([("QN09302M", now.date()), ("QN00101M", now.date())]):
        validator("CountersChanged").validate(orjson.loads(message))
    alert = {
        "alert_id": uuid.uuid4(),
        "rule_id": "gsup-tags",
        "territory_id": "QN09302M",
        "state": "open",
        "level": "alerte",
        "value": 12.0,
        "threshold": 10.0,
        "window_days": 7,
        "opened_at": now,
        "changed_at": now,
        "changes": 1,
        "landlord_id": None,
        "count": 12,
        "acknowledged_by": None,
    }
    payload = change_payload(
        alert,
        kind="opened",
        previous_level=None,
        tier="normal",
        rule_name="Tags",
        metric="count",
        territory_name="Secteur Saint-Nicolas",
        top_categories=[],
        dashboard_url="http://reporting/#territory=QN09302M",
    )
    validator("AlertChange").validate(orjson.loads(orjson.dumps(payload)))
