"""The Open311 facade's pure parts: status following the incident, public and full views, the
standard's XML, the list's parameters, where the key is, the jurisdiction."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.open311 import parse_xml as fromstring
from vigie_intake.open311_form import FormError
from vigie_intake.open311_query import api_key, jurisdiction_error, list_query
from vigie_intake.open311_view import (
    RequestState,
    discovery,
    full_view,
    public_view,
    service_definition,
    services,
)
from vigie_intake.open311_xml import xml_document

CREATED = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
RECEIVED = RequestState(
    service_request_id="0123456789abcdef",
    landlord_id="HLM-93",
    service_code="ENV-DEP",
    territory_id="QN09302M",
    territory_name="Quartier Sud",
    description="Encombrants devant le hall",
    lat=48.9378,
    long=2.4291,
    requested_datetime=CREATED - timedelta(hours=1),
    created_at=CREATED,
    revision=None,
    withdrawn=False,
    incident_updated_at=None,
    severity=None,
    target=None,
    complaint=None,
)
COUNTED = replace(
    RECEIVED,
    revision=1,
    incident_updated_at=CREATED + timedelta(seconds=1),
    severity=2,
    target="patrimoine",
    complaint="inconnu",
)
CORRECTED = replace(
    COUNTED, revision=2, service_code="BIE-DEG", incident_updated_at=CREATED + timedelta(days=2)
)
WITHDRAWN = replace(
    CORRECTED, revision=3, withdrawn=True, incident_updated_at=CREATED + timedelta(days=3)
)


@pytest.mark.parametrize(
    ("state", "status", "notes", "updated"),
    [
        (RECEIVED, "open", "reçu", CREATED),
        (COUNTED, "open", "enregistré", CREATED),
        (CORRECTED, "open", "corrigé par le bailleur (révision 2)", CREATED + timedelta(days=2)),
        (WITHDRAWN, "closed", "retiré par le bailleur (révision 3)", CREATED + timedelta(days=3)),
    ],
)
def test_the_status_follows_the_incident(
    state: RequestState, status: str, notes: str, updated: datetime
) -> None:
    shown = public_view(state)
    assert shown["status"] == status
    assert shown["status_notes"].startswith(notes)
    assert datetime.fromisoformat(shown["updated_datetime"]) == updated
    assert datetime.fromisoformat(shown["requested_datetime"]) == CREATED - timedelta(hours=1)


def test_the_public_view_shows_no_description_position_or_landlord() -> None:
    shown = public_view(CORRECTED)
    assert set(shown) == {
        "service_request_id",
        "status",
        "status_notes",
        "service_code",
        "service_name",
        "requested_datetime",
        "updated_datetime",
    }
    assert (shown["service_code"], shown["service_name"]) == (
        "BIE-DEG",
        "dégradations d'équipements (ascenseur, portes, boîtes aux lettres, éclairage)",
    )
    full = full_view(CORRECTED)
    assert full["description"] == "Encombrants devant le hall"
    assert (full["lat"], full["long"], full["address"]) == (48.9378, 2.4291, "Quartier Sud")
    assert full["agency_responsible"] == "HLM-93"
    assert full["attributes"] == {
        "territory_id": "QN09302M",
        "severity": 2,
        "target": "patrimoine",
        "complaint": "inconnu",
    }


def test_requests_in_the_standards_xml() -> None:
    root = fromstring(xml_document("service_requests", [full_view(WITHDRAWN)]))
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert request.findtext("status") == "closed"
    assert request.findtext("service_request_id") == "0123456789abcdef"
    assert request.findtext("attributes/territory_id") == "QN09302M"
    assert request.find("media_url") is not None  # present, empty
    empty = fromstring(xml_document("service_requests", []))
    assert list(empty) == []


def test_services_and_definitions_in_both_formats() -> None:
    listed = services()
    assert len(listed) == 18
    assert all(s["metadata"] is True for s in listed)
    root = fromstring(xml_document("services", listed))
    assert [s.findtext("service_code") for s in root.findall("service")] == [
        s["service_code"] for s in listed
    ]
    assert root.find("service/metadata") is not None
    assert root.findtext("service/metadata") == "true"
    definition = service_definition("PER-VER")
    assert definition is not None
    codes = [a["code"] for a in definition["attributes"]]
    assert codes == ["severity", "target", "complaint", "territory_id", "landlord_id"]
    xml = fromstring(xml_document("service_definition", definition))
    severity = xml.find("attributes/attribute")
    assert severity is not None
    assert [v.findtext("key") for v in severity.findall("values/value")] == ["1", "2", "3", "4"]
    assert service_definition("NOPE") is None


def test_the_discovery_document() -> None:
    document = discovery("http://intake.example/open311/v2")
    (endpoint,) = document["endpoints"]
    assert endpoint["url"] == "http://intake.example/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["formats"] == ["application/json", "text/xml"]
    root = fromstring(xml_document("discovery", document))
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "application/json",
        "text/xml",
    ]


NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_a_list_spans_the_last_90_days_by_default() -> None:
    query = list_query({}, now=NOW)
    assert (query.start, query.end) == (NOW - timedelta(days=90), NOW)
    assert (query.service_request_ids, query.service_codes, query.withdrawn) == (None, None, None)
    query = list_query(
        {
            "start_date": "2026-11-01",
            "service_code": "BIE-TAG, ENV-DEP",
            "status": "closed",
            "service_request_id": "a,b",
        },
        now=NOW,
    )
    assert query.start.isoformat() == "2026-11-01T00:00:00+01:00"
    assert query.end == NOW
    assert query.service_codes == ("BIE-TAG", "ENV-DEP")
    assert query.service_request_ids == ("a", "b")
    assert query.withdrawn is True
    assert list_query({"status": "open"}, now=NOW).withdrawn is False
    assert list_query({"end_date": "2026-10-01T00:00:00Z"}, now=NOW).start == datetime(
        2026, 7, 3, tzinfo=UTC
    )


def test_bad_list_parameters_are_named() -> None:
    with pytest.raises(FormError) as caught:
        list_query(
            {
                "start_date": "yesterday",
                "status": "pending",
                "service_request_id": ",".join("x" * 101),
            },
            now=NOW,
        )
    assert {e.field for e in caught.value.errors} == {"start_date", "status", "service_request_id"}
    with pytest.raises(FormError, match="end_date: at most 90 days"):
        list_query({"start_date": "2026-01-01", "end_date": "2026-11-01"}, now=NOW)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_the_key_comes_from_api_key_or_the_authorization_header() -> None:
    assert api_key({"api_key": "k1"}, "Bearer k2") == "k1"
    assert api_key({}, "Bearer k2") == "k2"
    assert api_key({}, _basic("open311", "k3")) == "k3"
    assert api_key({}, _basic("k4", "")) == "k4"
    assert api_key({}, "Basic !!!") is None
    assert api_key({"api_key": " "}, None) is None


def test_only_this_endpoints_jurisdiction_is_accepted() -> None:
    assert jurisdiction_error({}, jurisdiction="vigie") is None
    assert jurisdiction_error({"jurisdiction_id": ""}, jurisdiction="vigie") is None
    assert jurisdiction_error({"jurisdiction_id": "vigie"}, jurisdiction="vigie") is None
    problem = jurisdiction_error({"jurisdiction_id": "city.gov"}, jurisdiction="vigie")
    assert problem is not None
    assert problem.startswith("jurisdiction_id: unknown jurisdiction 'city.gov'")
