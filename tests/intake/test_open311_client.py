"""The Open311 facade as a third-party GeoReport v2 client uses it: `georeport` (PyPI) against real
intake and aggregator processes, in JSON and XML. The client reads (services, a definition, one
request, lists) and sends no `api_key` with them; it cannot create requests, so the POST is the
form any GeoReport client sends (`requests`, URL-encoded, `api_key` in the form). Then the
landlord withdraws the incident on the `/v1` API and the client reads the request `closed`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import requests
from georeport import GeoReport

from tests.support.aggregator_process import service_env
from tests.support.intake import ADMIN_TOKEN, KeyMaker
from tests.support.open311 import LE_BOURGET
from tests.support.services import service_process

pytestmark = [pytest.mark.connected, pytest.mark.e2e]


@pytest.fixture
def intake_url(kafka_bootstrap: str, database_url: str, tmp_path: Path) -> Iterator[str]:
    """Intake and aggregator processes on the test's broker and database; intake's URL."""
    logs = tmp_path / "logs"
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": database_url,
        "VIGIE_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    aggregator = service_env(kafka_bootstrap, database_url, tmp_path)
    with (
        service_process("intake", env=env, log_dir=logs) as url,
        service_process("aggregator", env=aggregator, log_dir=logs),
    ):
        yield url


def _with_key(url: str, token: str) -> str:
    """The endpoint URL carrying the key as its user-info (sent as HTTP Basic)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"open311:{token}@{parts.netloc}"))


def _items(data: Any) -> list[dict[str, Any]]:
    """xmltodict gives a dict for one element, a list for several, None for none."""
    if data is None:
        return []
    return data if isinstance(data, list) else [data]


def _create(root: str, token: str) -> str:
    response = requests.post(
        f"{root}/requests.json",
        data={
            "api_key": token,
            "jurisdiction_id": "vigie",
            "service_code": "OCC-HAL",
            "description": "Hall du 12 occupé tous les soirs",
            **LE_BOURGET,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    request_id: str = response.json()[0]["service_request_id"]
    return request_id


def _read_until_closed(client: GeoReport, request_id: str, *, within_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + within_s
    while True:
        request: dict[str, Any] = client.get_service_request(request_id)
        if request["status"] == "closed" or time.monotonic() > deadline:
            return request
        time.sleep(0.2)


def _round_trip(url: str, token: str, fmt: str) -> str:
    """Everything a client does, in one format; the created request's id."""
    root = f"{url}/open311/v2"
    request_id = _create(root, token)
    public = GeoReport(root, jurisdiction="vigie", output_format=fmt)
    keyed = GeoReport(_with_key(root, token), jurisdiction="vigie", output_format=fmt)

    services = public.get_service_list()
    assert len(services) == 18
    assert {s["service_code"] for s in services} >= {"OCC-HAL", "BIE-TAG"}
    definition = public.get_service_definition("OCC-HAL")
    attributes = (
        _items(definition["attributes"]["attribute"] if fmt == "xml" else None)
        or (definition["attributes"])
    )
    assert [a["code"] for a in attributes][:3] == ["severity", "target", "complaint"]

    request = public.get_service_request(request_id)  # no key: the public view
    assert (request["service_request_id"], request["status"]) == (request_id, "open")
    assert request["service_code"] == "OCC-HAL"
    assert "description" not in request
    by_ids = _items(public.get_service_requests(service_request_id=request_id))
    assert [r["service_request_id"] for r in by_ids] == [request_id]

    mine = _items(keyed.get_service_requests(status="open"))
    assert request_id in {r["service_request_id"] for r in mine}
    full = keyed.get_service_request(request_id)
    assert full["description"] == "Hall du 12 occupé tous les soirs"
    with pytest.raises(requests.HTTPError) as unkeyed:
        public.get_service_requests()
    assert unkeyed.value.response is not None
    assert unkeyed.value.response.status_code == 401
    return request_id


async def test_a_georeport_client_round_trip_in_json_and_xml(
    intake_url: str, new_key: KeyMaker
) -> None:
    _, token = await new_key("landlord", landlord_id="HLM-93")
    created = {
        fmt: await asyncio.to_thread(_round_trip, intake_url, token, fmt) for fmt in ("json", "xml")
    }
    # The landlord's system withdraws the JSON one on the /v1 API; the aggregator counts it out.
    async with httpx.AsyncClient(base_url=intake_url) as http:
        withdrawn = await http.post(
            "/v1/incidents",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "event_id": "5a0c29d4-8f61-4c55-9d3e-7b1f0e6a2c10",
                "type": "incident.withdrawn",
                "incident_id": f"open311-{created['json']}",
                "revision": 2,
                "landlord_id": "HLM-93",
            },
        )
        assert withdrawn.status_code == 202, withdrawn.text
    root = f"{intake_url}/open311/v2"
    for fmt in ("json", "xml"):
        client = GeoReport(root, jurisdiction="vigie", output_format=fmt)
        closed = await asyncio.to_thread(_read_until_closed, client, created["json"], within_s=30)
        assert closed["status"] == "closed"
        assert closed["status_notes"] == "retiré par le bailleur (révision 2)"
        still = await asyncio.to_thread(client.get_service_request, created["xml"])
        assert still["status"] == "open"
