"""The batch endpoint: three formats, partial failure reported line by line, only valid lines
published, limits."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
import pytest
from aiokafka.partitioner import DefaultPartitioner

from tests.support.intake import (
    ADMIN,
    Client,
    KeyMaker,
    bearer,
    incident,
    intake_settings,
    read_topic,
    running_intake,
)

pytestmark = pytest.mark.connected

CSV_FIELDS = [
    "event_id", "type", "incident_id", "revision", "landlord_id", "territory_id", "residence_id",
    "category", "occurred_at", "severity", "target", "complaint", "cost_eur", "description",
]  # fmt: skip


def to_csv(events: list[dict[str, Any]], *, delimiter: str = ",") -> bytes:
    """Events as CSV with a header row of §3 field names."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, delimiter=delimiter)
    writer.writeheader()
    writer.writerows(events)
    return out.getvalue().encode()


async def _published_ids(bootstrap: str, expected: int) -> list[str]:
    records = await read_topic(bootstrap, expected=expected)
    return sorted(orjson.loads(r.value)["event_id"] for r in records)


async def test_json_array_partial_failure(intake: Client, kafka_bootstrap: str) -> None:
    good = [incident(), incident(category="PER-PHY", cost_eur=120.5)]
    bad = incident(severity=5, territory_id="QN99999Z")
    response = await intake.post("/v1/incidents/batch", json=[good[0], bad, good[1]], headers=ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] == 2
    (rejected,) = body["rejected"]
    assert rejected["index"] == 1
    assert rejected["event_id"] == bad["event_id"]
    assert {e["field"] for e in rejected["errors"]} == {"severity", "territory_id"}
    assert await _published_ids(kafka_bootstrap, 2) == sorted(e["event_id"] for e in good)
    metrics = (await intake.get("/metrics")).text
    assert 'vigie_incidents_accepted_total{landlord_id="HLM-93"} 2.0' in metrics
    assert 'vigie_incidents_rejected_total{landlord_id="HLM-93",reason="invalid"} 1.0' in metrics
    assert 'vigie_intake_publish_seconds_count{endpoint="batch"} 1.0' in metrics


async def test_batch_lines_land_where_a_single_send_would(
    intake: Client, kafka_bootstrap: str
) -> None:
    territories = ["QN09302M", "QN00101M", "QN00102M", "QN09303M"]
    events = [incident(territory_id=t) for t in territories * 5]
    response = await intake.post("/v1/incidents/batch", json=events, headers=ADMIN)
    assert response.json() == {"accepted": 20, "rejected": []}
    records = await read_topic(kafka_bootstrap, expected=20)
    assert len(records) == 20
    partitioner = DefaultPartitioner()
    for record in records:
        assert record.key is not None
        assert record.key.decode() == orjson.loads(record.value)["territory_id"]
        assert record.partition == partitioner(record.key, [0, 1, 2, 3], [0, 1, 2, 3])
    assert len({r.partition for r in records}) > 1


async def test_ndjson_with_a_line_that_is_not_json(intake: Client, kafka_bootstrap: str) -> None:
    good = incident()
    body = orjson.dumps(good) + b"\n\n{broken\n" + orjson.dumps([1, 2]) + b"\n"
    response = await intake.post(
        "/v1/incidents/batch",
        content=body,
        headers={**ADMIN, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["accepted"] == 1
    assert [r["index"] for r in result["rejected"]] == [1, 2]
    assert all(r["event_id"] is None for r in result["rejected"])
    assert await _published_ids(kafka_bootstrap, 1) == [good["event_id"]]


@pytest.mark.parametrize("delimiter", [",", ";"])
async def test_csv_with_header_row(intake: Client, kafka_bootstrap: str, delimiter: str) -> None:
    good = incident(cost_eur="12,50", description="appeler le 0612345678", residence_id="R-12")
    bad = incident(severity="grave")
    response = await intake.post(
        "/v1/incidents/batch",
        content=to_csv([good, bad], delimiter=delimiter),
        headers={**ADMIN, "Content-Type": "text/csv; charset=utf-8"},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["accepted"] == 1
    assert result["rejected"] == [
        {"index": 1, "event_id": bad["event_id"], "errors": [
            {"field": "severity", "message": "Input should be a valid integer"}
        ]}
    ]  # fmt: skip
    (record,) = await read_topic(kafka_bootstrap, expected=1)
    published = orjson.loads(record.value)
    assert published["cost_eur"] == 12.5
    assert published["severity"] == 2
    assert "0612345678" not in published["description"]


async def test_csv_unknown_column_and_extra_cells_are_named(intake: Client) -> None:
    body = (
        b"event_id,type,colour\n"
        b"2b0e5a41-7a0c-4f5e-9a51-0d0c8c1e3d11,incident.withdrawn,blue,extra\n"
    )
    response = await intake.post(
        "/v1/incidents/batch", content=body, headers={**ADMIN, "Content-Type": "text/csv"}
    )
    assert response.status_code == 200
    (rejected,) = response.json()["rejected"]
    fields = {e["field"] for e in rejected["errors"]}
    assert {"colour", "(extra cells)", "incident_id", "landlord_id", "revision"} <= fields


async def test_landlord_key_lines_of_another_landlord_are_rejected(
    intake: Client, new_key: KeyMaker, kafka_bootstrap: str
) -> None:
    _, token = await new_key("landlord", landlord_id="HLM-93")
    own, other = incident(), incident(landlord_id="HLM-75")
    response = await intake.post("/v1/incidents/batch", json=[own, other], headers=bearer(token))
    assert response.status_code == 200
    result = response.json()
    assert result["accepted"] == 1
    assert result["rejected"][0]["errors"][0]["field"] == "landlord_id"
    assert await _published_ids(kafka_bootstrap, 1) == [own["event_id"]]


async def test_duplicates_in_a_batch_are_all_accepted(intake: Client) -> None:
    event = incident()
    response = await intake.post("/v1/incidents/batch", json=[event, event], headers=ADMIN)
    assert response.json() == {"accepted": 2, "rejected": []}


async def test_body_errors(intake: Client) -> None:
    not_array = await intake.post("/v1/incidents/batch", json=incident(), headers=ADMIN)
    assert not_array.status_code == 422
    assert not_array.json()["errors"][0]["field"] == "(body)"
    xml = await intake.post(
        "/v1/incidents/batch", content=b"<a/>", headers={**ADMIN, "Content-Type": "text/xml"}
    )
    assert xml.status_code == 415
    assert xml.json()["error"] == "unsupported_media_type"


async def test_batch_limits(database_url: str, kafka_bootstrap: str) -> None:
    settings = intake_settings(
        database_url=database_url,
        bootstrap=kafka_bootstrap,
        max_batch_events=3,
        max_batch_bytes=4096,
    )
    async with running_intake(settings) as client:
        ok = await client.post("/v1/incidents/batch", json=[incident()] * 3, headers=ADMIN)
        assert ok.status_code == 200
        too_many = await client.post("/v1/incidents/batch", json=[incident()] * 4, headers=ADMIN)
        assert too_many.status_code == 413
        big = [incident(description="x" * 1500) for _ in range(3)]
        too_big = await client.post("/v1/incidents/batch", json=big, headers=ADMIN)
        assert too_big.status_code == 413


async def test_a_full_batch_of_ten_thousand_events(intake: Client, kafka_bootstrap: str) -> None:
    territories = ["QN09302M", "QN00101M", "QN00102M", "QN09303M"]
    events = [incident(territory_id=territories[i % 4]) for i in range(10_000)]
    body = b"\n".join(orjson.dumps(e) for e in events)
    response = await intake.post(
        "/v1/incidents/batch",
        content=body,
        headers={**ADMIN, "Content-Type": "application/x-ndjson"},
        timeout=60,
    )
    assert response.json() == {"accepted": 10_000, "rejected": []}
    records = await read_topic(kafka_bootstrap, expected=10_000, wait_s=30)
    assert len({orjson.loads(r.value)["event_id"] for r in records}) == 10_000
