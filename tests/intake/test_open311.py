"""The Open311 GeoReport v2 facade: services, form posts resolved to QPVs, reads (public view
without a key, full view with one, status following the incident), XML, errors, and tenant
isolation on every route."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import orjson
import pytest

from tests.support.aggregator import apply, withdrawal
from tests.support.intake import ADMIN_TOKEN, Client, KeyMaker, read_topic
from tests.support.open311 import LE_BOURGET, parse_xml, post
from vigie_intake.open311_form import DEFAULT_COMPLAINT, DEFAULT_SEVERITY, DEFAULT_TARGET

pytestmark = pytest.mark.connected


async def test_one_service_per_category(intake: Client) -> None:
    response = await intake.get("/open311/v2/services.json")
    assert response.status_code == 200
    services = response.json()
    assert len(services) == 18
    assert all(s["metadata"] is True for s in services)
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


async def _created(client: Client, token: str, **fields: str) -> str:
    """Post a request with this key; its id."""
    status, body = await post(
        client,
        {"api_key": token, "service_code": "ENV-DEP", **LE_BOURGET, **fields},
    )
    assert status == 200, body
    request_id: str = body[0]["service_request_id"]
    return request_id


async def test_without_a_key_a_request_reads_in_its_public_view(
    intake: Client, new_key: KeyMaker
) -> None:
    _, token = await new_key("landlord", landlord_id="HLM-93")
    request_id = await _created(intake, token, description="Sacs devant le local vélos")
    public = await intake.get(f"/open311/v2/requests/{request_id}.json")
    assert public.status_code == 200
    (shown,) = public.json()
    assert shown["status"] == "open"
    assert shown["service_code"] == "ENV-DEP"
    for hidden in ("description", "lat", "long", "address", "agency_responsible", "attributes"):
        assert hidden not in shown
    # The full view with the key, as a Bearer header or the URL's user-info (Basic).
    for headers in ({"Authorization": f"Bearer {token}"}, {}):
        auth = None if headers else httpx.BasicAuth("open311", token)
        full = await intake.get(
            f"/open311/v2/requests/{request_id}.json", headers=headers, auth=auth
        )
        assert full.json()[0]["description"] == "Sacs devant le local vélos"
    missing = await intake.get("/open311/v2/requests/0000000000000000.json")
    assert missing.status_code == 404
    assert missing.json()[0]["description"].startswith("service_request_id:")
    # A list needs a key, unless it names ids.
    unkeyed = await intake.get("/open311/v2/requests.json")
    assert unkeyed.status_code == 401
    by_ids = await intake.get(
        "/open311/v2/requests.json", params={"service_request_id": f"{request_id},ffff"}
    )
    assert [r["service_request_id"] for r in by_ids.json()] == [request_id]
    assert "description" not in by_ids.json()[0]
    bad = await intake.get(f"/open311/v2/requests/{request_id}.json?api_key=nope")
    assert bad.status_code == 401


async def test_the_status_follows_corrections_and_the_withdrawal(
    intake: Client, new_key: KeyMaker, kafka_bootstrap: str, database_url: str
) -> None:
    _, token = await new_key("landlord", landlord_id="HLM-93")
    request_id = await _created(intake, token)
    (record,) = await read_topic(kafka_bootstrap, expected=1)
    reported = orjson.loads(record.value)
    path = f"/open311/v2/requests/{request_id}.json"
    (received,) = (await intake.get(path)).json()
    assert (received["status"], received["status_notes"]) == (
        "open",
        "reçu, en cours d'enregistrement",
    )

    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        # The aggregator's own code applies the events, as it would from incidents.v1.
        await apply(pool, [reported])
        (counted,) = (await intake.get(path)).json()
        assert (counted["status"], counted["status_notes"]) == ("open", "enregistré")
        correction = {
            **reported,
            "event_id": str(uuid.uuid4()),
            "type": "incident.corrected",
            "revision": 2,
            "category": "BIE-DEG",
            "severity": 3,
        }
        await asyncio.sleep(1.1)  # GeoReport's times are to the second
        await apply(pool, [correction])
        (corrected,) = (await intake.get(path, params={"api_key": token})).json()
        assert corrected["status"] == "open"
        assert corrected["status_notes"] == "corrigé par le bailleur (révision 2)"
        assert corrected["service_code"] == "BIE-DEG"
        assert corrected["attributes"]["severity"] == 3
        assert corrected["updated_datetime"] > received["updated_datetime"]
        await apply(
            pool,
            [withdrawal(incident_id=reported["incident_id"], revision=3, landlord_id="HLM-93")],
        )
    finally:
        await pool.close()
    (closed,) = (await intake.get(path)).json()
    assert (closed["status"], closed["status_notes"]) == (
        "closed",
        "retiré par le bailleur (révision 3)",
    )
    assert closed["service_code"] == "ENV-DEP"  # a withdrawal keeps no state: as requested
    listed = await intake.get("/open311/v2/requests.json", params={"api_key": token})
    assert [(r["service_request_id"], r["status"]) for r in listed.json()] == [
        (request_id, "closed")
    ]
    for status, expected in (("open", []), ("closed", [request_id])):
        filtered = await intake.get(
            "/open311/v2/requests.json", params={"api_key": token, "status": status}
        )
        assert [r["service_request_id"] for r in filtered.json()] == expected


async def test_a_landlord_key_never_sees_another_landlords_requests(
    intake: Client, new_key: KeyMaker
) -> None:
    _, key_a = await new_key("landlord", landlord_id="HLM-A")
    _, key_b = await new_key("landlord", landlord_id="HLM-B")
    own = await _created(intake, key_a)
    theirs = await _created(intake, key_b)
    for fmt in ("json", "xml"):
        one = await intake.get(f"/open311/v2/requests/{theirs}.{fmt}", params={"api_key": key_a})
        assert one.status_code == 404
        for params in (
            {},
            {"service_request_id": f"{own},{theirs}"},
            {"service_code": "ENV-DEP", "status": "open,closed"},
        ):
            listed = await intake.get(
                f"/open311/v2/requests.{fmt}", params={"api_key": key_a, **params}
            )
            assert listed.status_code == 200
            if fmt == "json":
                ids = [r["service_request_id"] for r in listed.json()]
                assert all(r["agency_responsible"] == "HLM-A" for r in listed.json())
            else:
                ids = [r.findtext("service_request_id") for r in parse_xml(listed.content)]
            assert ids == [own], (fmt, params)
    admin = await intake.get("/open311/v2/requests.json", params={"api_key": ADMIN_TOKEN})
    assert {r["service_request_id"] for r in admin.json()} == {own, theirs}


async def test_xml_and_multipart_as_standard_clients_send_them(
    intake: Client, new_key: KeyMaker
) -> None:
    _, token = await new_key("landlord", landlord_id="HLM-93")
    # A multipart form with a photo and the personal fields GeoReport allows: the photo and
    # the requester's identity are not kept.
    response = await intake.post(
        "/open311/v2/requests.xml",
        data={
            "api_key": token,
            "jurisdiction_id": "vigie",
            "service_code": "BIE-TAG",
            "first_name": "Jeanne",
            "email": "jeanne@example.org",
            "address_string": "3 rue des Lilas",
            **LE_BOURGET,
        },
        files={"media": ("tag.jpg", b"\xff\xd8\xff fake jpeg", "image/jpeg")},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    created = parse_xml(response.content)
    assert created.tag == "service_requests"
    request_id = created.findtext("request/service_request_id")
    assert request_id
    read = await intake.get(f"/open311/v2/requests/{request_id}.xml", params={"api_key": token})
    request = parse_xml(read.content).find("request")
    assert request is not None
    assert request.findtext("status") == "open"
    assert request.findtext("service_code") == "BIE-TAG"
    assert request.findtext("attributes/territory_id") == "QN09302M"
    assert "Jeanne" not in read.text
    assert "jeanne@" not in read.text
    error = await intake.get("/open311/v2/requests/nope.xml")
    assert error.status_code == 404
    assert parse_xml(error.content).findtext("error/code") == "404"


async def test_jurisdiction_and_discovery(intake: Client) -> None:
    assert (await intake.get("/open311/v2/services.json?jurisdiction_id=vigie")).status_code == 200
    other = await intake.get("/open311/v2/services.xml?jurisdiction_id=city.gov")
    assert other.status_code == 404
    assert "jurisdiction_id" in (parse_xml(other.content).findtext("error/description") or "")
    refused, body = await post(
        intake, {"api_key": ADMIN_TOKEN, "jurisdiction_id": "city.gov", "service_code": "BIE-TAG"}
    )
    assert refused == 404
    assert body[0]["description"].startswith("jurisdiction_id:")
    for path in ("/open311/discovery.json", "/open311/v2/discovery.json"):
        document = (await intake.get(path)).json()
        assert document["endpoints"][0]["url"] == "http://intake/open311/v2"
    xml = parse_xml((await intake.get("/open311/discovery.xml")).content)
    assert xml.findtext("endpoints/endpoint/url") == "http://intake/open311/v2"
    definition = await intake.get("/open311/v2/services/TRA-DEA.json")
    assert definition.json()["service_code"] == "TRA-DEA"
    assert (await intake.get("/open311/v2/services/NOPE.json")).status_code == 404
