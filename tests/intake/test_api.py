"""The intake API against the real broker and database: what is accepted lands on
`incidents.v1` with the territory as key, what is refused does not."""

from __future__ import annotations

import uuid

import asyncpg
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.intake import (
    ADMIN,
    KNOWN_TERRITORY,
    Client,
    KeyMaker,
    bearer,
    incident,
    intake_settings,
    read_topic,
    running_intake,
)
from vigie.contract import topics

pytestmark = pytest.mark.connected


async def test_accepted_event_is_on_the_topic_keyed_by_territory(
    intake: Client, kafka_bootstrap: str
) -> None:
    event = incident(description="rappeler M. Dupont au 06 12 34 56 78 ou dupont@example.org")
    response = await intake.post("/v1/incidents", json=event, headers=ADMIN)
    assert response.status_code == 202, response.text
    assert response.json() == {"event_id": event["event_id"], "status": "accepted"}

    (record,) = await read_topic(kafka_bootstrap, expected=1)
    assert record.key == KNOWN_TERRITORY.encode()
    published = orjson.loads(record.value)
    assert published["event_id"] == event["event_id"]
    assert published["territory_id"] == KNOWN_TERRITORY
    assert "06 12" not in published["description"]
    assert "dupont@example.org" not in published["description"]
    assert published["description"].startswith("rappeler [nom masqué] au ")


async def test_invalid_event_names_every_bad_field_and_publishes_nothing(
    intake: Client, kafka_bootstrap: str
) -> None:
    event = incident(severity=9, category="XXX-YYY", territory_id="QN99999Z", target="chat")
    response = await intake.post("/v1/incidents", json=event, headers=ADMIN)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid"
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"severity", "category", "territory_id", "target"}
    assert await read_topic(kafka_bootstrap, expected=1, wait_s=1.0) == []


async def test_unknown_territory_alone_is_rejected(intake: Client, kafka_bootstrap: str) -> None:
    response = await intake.post(
        "/v1/incidents", json=incident(territory_id="QN99999Z"), headers=ADMIN
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["territory_id"]


async def test_not_json_is_a_422(intake: Client) -> None:
    response = await intake.post(
        "/v1/incidents",
        content=b"{not json",
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "(body)"


async def test_duplicate_event_id_is_accepted_again(intake: Client, kafka_bootstrap: str) -> None:
    event = incident()
    first = await intake.post("/v1/incidents", json=event, headers=ADMIN)
    second = await intake.post("/v1/incidents", json=event, headers=ADMIN)
    assert (first.status_code, second.status_code) == (202, 202)
    records = await read_topic(kafka_bootstrap, expected=2)
    assert [orjson.loads(r.value)["event_id"] for r in records] == [event["event_id"]] * 2


async def test_withdrawal_needs_only_its_five_fields(intake: Client) -> None:
    withdrawal = {
        "event_id": str(uuid.uuid4()),
        "type": "incident.withdrawn",
        "incident_id": "INC-1",
        "revision": 2,
        "landlord_id": "HLM-93",
    }
    response = await intake.post("/v1/incidents", json=withdrawal, headers=ADMIN)
    assert response.status_code == 202, response.text


async def test_body_over_one_mib_is_413(intake: Client) -> None:
    event = incident(description="x" * (1024 * 1024))
    response = await intake.post("/v1/incidents", json=event, headers=ADMIN)
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


async def test_nomenclature_lists_categories_and_domains(intake: Client, new_key: KeyMaker) -> None:
    _, token = await new_key("partner", territory_ids=[KNOWN_TERRITORY])
    response = await intake.get("/v1/nomenclature", headers=bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert {c["code"] for c in body["categories"]} >= {"BIE-TAG", "PER-PHY"}
    assert {d["code"] for d in body["domains"]} == {
        "cadre_de_vie",
        "qualite_service",
        "vivre_ensemble",
        "prevention_insecurite",
    }
    assert (await intake.get("/v1/nomenclature")).status_code == 401


async def test_ready_and_metrics(intake: Client) -> None:
    assert (await intake.get("/health/ready")).status_code == 200
    await intake.post("/v1/incidents", json=incident(), headers=ADMIN)
    await intake.post("/v1/incidents", json=incident(severity=0), headers=ADMIN)
    text = (await intake.get("/metrics")).text
    assert 'vigie_incidents_accepted_total{landlord_id="HLM-93"} 1.0' in text
    assert 'vigie_incidents_rejected_total{landlord_id="HLM-93",reason="invalid"} 1.0' in text
    assert "vigie_intake_publish_seconds_bucket" in text


async def test_faststream_publish_metrics_count_what_was_published(intake: Client) -> None:
    assert (await intake.post("/v1/incidents", json=incident(), headers=ADMIN)).status_code == 202
    # On the tests' 4 partitions these two territories fall on two different ones.
    events = [incident(territory_id=t) for t in (KNOWN_TERRITORY, "QN09303M") * 2]
    response = await intake.post("/v1/incidents/batch", json=events, headers=ADMIN)
    assert response.json() == {"accepted": 4, "rejected": []}

    samples = {
        (s.name, s.labels.get("status")): s
        for family in text_string_to_metric_families((await intake.get("/metrics")).text)
        for s in family.samples
        if s.labels.get("destination") == topics.INCIDENTS
    }
    published = samples["faststream_published_messages_total", "success"]
    assert published.labels["app_name"] == "vigie-intake"
    assert published.value == 5  # one single event and four batch records
    assert ("faststream_published_messages_total", "error") not in samples
    # One publish for the single event, one per partition the batch touched.
    assert samples["faststream_published_messages_duration_seconds_count", None].value == 3
    assert samples["faststream_published_messages_duration_seconds_sum", None].value > 0


async def test_territory_imported_while_running_is_accepted(
    database_url: str, kafka_bootstrap: str, db: asyncpg.Connection
) -> None:
    settings = intake_settings(
        database_url=database_url, bootstrap=kafka_bootstrap, territory_miss_refresh_s=0
    )
    async with running_intake(settings) as client:
        event = incident(territory_id="QN99998X")
        assert (await client.post("/v1/incidents", json=event, headers=ADMIN)).status_code == 422
        await db.execute(
            "INSERT INTO territories (territory_id, kind, name, code)"
            " VALUES ('QN99998X', 'qpv', 'Nouveau quartier', 'QN99998X')"
        )
        assert (await client.post("/v1/incidents", json=event, headers=ADMIN)).status_code == 202


async def test_openapi_documents_the_intake_routes(intake: Client) -> None:
    paths = (await intake.get("/openapi.json")).json()["paths"]
    single = paths["/v1/incidents"]["post"]
    assert "202" in single["responses"]
    schemas = single["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert {s["title"] for s in schemas} == {"IncidentState", "IncidentWithdrawn"}
    batch = paths["/v1/incidents/batch"]["post"]
    assert set(batch["requestBody"]["content"]) == {
        "application/json",
        "application/x-ndjson",
        "text/csv",
    }
    assert "get" in paths["/v1/nomenclature"]
    assert "api_key" in {
        p["name"]
        for p in paths["/open311/v2/requests/{service_request_id}.json"]["get"]["parameters"]
    }
