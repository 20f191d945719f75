"""The Open311 GeoReport v2 facade: services, form posts resolved to QPVs, reads, errors."""

from __future__ import annotations

import orjson
import pytest

from tests.intake.conftest import ADMIN_TOKEN, Client, KeyMaker, read_topic
from vigie_intake.open311_form import DEFAULT_COMPLAINT, DEFAULT_SEVERITY, DEFAULT_TARGET

pytestmark = pytest.mark.connected

FORM = "application/x-www-form-urlencoded"
LE_BOURGET = {"lat": "48.93781", "long": "2.42913"}  # inside QN09302M


async def post(client: Client, fields: dict[str, str]) -> tuple[int, object]:
    response = await client.post(
        "/open311/v2/requests.json", data=fields, headers={"Content-Type": FORM}
    )
    return response.status_code, response.json()


async def test_one_service_per_category(intake: Client) -> None:
    response = await intake.get("/open311/v2/services.json")
    assert response.status_code == 200
    services = response.json()
    assert len(services) == 18
    tags = next(s for s in services if s["service_code"] == "BIE-TAG")
    assert tags["service_name"] == "tags, graffitis"
    assert tags["group"] == "Cadre de vie"


async def test_a_point_becomes_an_incident_in_its_qpv(intake: Client, kafka_bootstrap: str) -> None:
    status, body = await post(
        intake,
        {
            "api_key": ADMIN_TOKEN,
            "service_code": "ENV-DEP",
            "description": "Encombrants devant le hall, appeler 06 12 34 56 78",
            "attribute[landlord_id]": "HLM-93",
            **LE_BOURGET,
        },
    )
    assert status == 200, body
    assert isinstance(body, list)
    request_id = body[0]["service_request_id"]
    (record,) = await read_topic(kafka_bootstrap, expected=1)
    event = orjson.loads(record.value)
    assert record.key == b"QN09302M"
    assert event["territory_id"] == "QN09302M"
    assert event["category"] == "ENV-DEP"
    assert event["incident_id"] == f"open311-{request_id}"
    assert (event["severity"], event["target"], event["complaint"]) == (
        DEFAULT_SEVERITY,
        DEFAULT_TARGET,
        DEFAULT_COMPLAINT,
    )
    assert "06 12" not in event["description"]

    read = await intake.get(f"/open311/v2/requests/{request_id}.json?api_key={ADMIN_TOKEN}")
    assert read.status_code == 200
    (stored,) = read.json()
    assert stored["status"] == "open"
    assert stored["attributes"]["territory_id"] == "QN09302M"
    assert stored["agency_responsible"] == "HLM-93"
    assert "[téléphone masqué]" in stored["description"]


async def test_a_named_territory_and_attributes_are_used(
    intake: Client, kafka_bootstrap: str, new_key: KeyMaker
) -> None:
    _, token = await new_key("landlord", landlord_id="HLM-13")
    status, body = await post(
        intake,
        {
            "api_key": token,
            "service_code": "PER-VER",
            "attribute[territory_id]": "QN01301M",
            "attribute[severity]": "3",
            "attribute[target]": "personnel",
            "attribute[complaint]": "plainte",
            "requested_datetime": "2026-11-20T09:30:00+01:00",
        },
    )
    assert status == 200, body
    (record,) = await read_topic(kafka_bootstrap, expected=1)
    event = orjson.loads(record.value)
    assert event["landlord_id"] == "HLM-13"
    assert (event["severity"], event["target"], event["complaint"]) == (3, "personnel", "plainte")
    assert event["occurred_at"].startswith("2026-11-20T09:30:00")


@pytest.mark.parametrize(
    ("fields", "status", "description"),
    [
        ({"service_code": "ENV-DEP", **LE_BOURGET}, 401, "api_key: required"),
        ({"api_key": "nope", "service_code": "ENV-DEP", **LE_BOURGET}, 401, "api_key:"),
        (
            {"api_key": ADMIN_TOKEN, "service_code": "ENV-DEP", **LE_BOURGET},
            400,
            "attribute[landlord_id]: required with an admin key",
        ),
        (
            {
                "api_key": ADMIN_TOKEN,
                "attribute[landlord_id]": "L",
                "service_code": "ENV-DEP",
                "lat": "48.8584",
                "long": "2.2945",
            },
            400,
            "lat/long: the point lies in no QPV",
        ),
        (
            {
                "api_key": ADMIN_TOKEN,
                "attribute[landlord_id]": "L",
                "service_code": "NOPE",
                **LE_BOURGET,
            },
            400,
            "service_code: unknown category",
        ),
        (
            {
                "api_key": ADMIN_TOKEN,
                "attribute[landlord_id]": "L",
                "service_code": "ENV-DEP",
                "attribute[severity]": "9",
                **LE_BOURGET,
            },
            400,
            "attribute[severity]: Input should be less than or equal to 4",
        ),
        (
            {
                "api_key": ADMIN_TOKEN,
                "attribute[landlord_id]": "L",
                "service_code": "ENV-DEP",
                "lat": "north",
                "long": "2.4",
            },
            400,
            "lat: must be a decimal number",
        ),
    ],
)
async def test_bad_requests_name_the_field_and_publish_nothing(
    intake: Client, kafka_bootstrap: str, fields: dict[str, str], status: int, description: str
) -> None:
    got_status, body = await post(intake, fields)
    assert got_status == status
    assert isinstance(body, list)
    assert any(description in error["description"] for error in body), body
    assert all(error["code"] == status for error in body)
    assert await read_topic(kafka_bootstrap, expected=1, wait_s=0.5) == []


async def test_other_landlords_and_partners_are_kept_out(intake: Client, new_key: KeyMaker) -> None:
    _, own = await new_key("landlord", landlord_id="HLM-93")
    _, other = await new_key("landlord", landlord_id="HLM-69")
    _, partner = await new_key("partner", territory_ids=["QN09302M"])
    status, body = await post(intake, {"api_key": own, "service_code": "BIE-TAG", **LE_BOURGET})
    assert status == 200
    assert isinstance(body, list)
    request_id = body[0]["service_request_id"]
    path = f"/open311/v2/requests/{request_id}.json"
    assert (await intake.get(f"{path}?api_key={own}")).status_code == 200
    assert (await intake.get(f"{path}?api_key={other}")).status_code == 404
    assert (await intake.get(f"{path}?api_key={partner}")).status_code == 403
    partner_post, _ = await post(
        intake, {"api_key": partner, "service_code": "BIE-TAG", **LE_BOURGET}
    )
    assert partner_post == 403
    wrong_type = await intake.post(
        "/open311/v2/requests.json",
        json={"api_key": own},
        headers={"Content-Type": "application/json"},
    )
    assert wrong_type.status_code == 415
