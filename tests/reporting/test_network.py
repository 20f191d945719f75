"""Reporting's relays to the alerts service for the referents' network, against a real HTTP
server standing in for it (tests/reporting/fake_alerts.py): the caller's own token goes through,
partner keys are refused before any call, and an absent alerts service answers 503; then the
referents' relay in front of the real alerts app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.reporting.conftest import (
    ADMIN_TOKEN,
    LANDY,
    NO_ALERTS_SERVICE,
    SEMARD,
    Reporting,
    running_reporting,
)
from tests.reporting.fake_alerts import FakeAlerts, alert, fake_alerts_service
from tests.support.alerts import ManualClock
from tests.support.alerts_service import ADMIN_TOKEN as ALERTS_ADMIN
from tests.support.alerts_service import NOW, serve_alerts

REFERENT = {
    "referent_id": "ref-1",
    "landlord_id": "HLM-A",
    "name": "Awa Diallo",
    "role": "responsable sécurité",
    "email": "a.diallo@hlm-a.example",
    "phone": "01 02 03 04 05",
    "territory_ids": [LANDY],
}


@pytest.fixture
async def network(
    database_url: str, kafka_bootstrap: str, db: asyncpg.Connection
) -> AsyncIterator[tuple[Reporting, FakeAlerts]]:
    """Reporting in front of a stand-in alerts service with one alert and one referent."""
    fake = FakeAlerts([alert(LANDY, categories=["BIE-TAG"])], stream_seconds=0.3)
    fake.referents.append(REFERENT)
    with fake_alerts_service(fake) as alerts_url:
        async with running_reporting(
            database_url=database_url, kafka_bootstrap=kafka_bootstrap, db=db, alerts_url=alerts_url
        ) as reporting:
            yield reporting, fake


async def test_referents_relayed_with_the_callers_token(
    network: tuple[Reporting, FakeAlerts],
) -> None:
    r, fake = network
    landlord = await r.key("landlord", landlord_id="HLM-A")
    answer = await r.get("/v1/live/referents", landlord, territory_id=LANDY)
    assert answer.status_code == 200
    assert answer.json()["referents"][0]["name"] == "Awa Diallo"
    assert fake.relayed == [("/v1/referents", f"Bearer {landlord}")]
    assert (await r.get("/v1/live/referents", landlord, territory_id=SEMARD)).json() == {
        "referents": []
    }
    missing = await r.get("/v1/live/referents", landlord)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "territory_id"


async def test_partner_keys_never_reach_staff_contacts(
    network: tuple[Reporting, FakeAlerts],
) -> None:
    r, fake = network
    partner = await r.key("partner", territory_ids=[LANDY])
    assert (await r.get("/v1/live/referents", partner, territory_id=LANDY)).status_code == 403
    listed = await r.get(f"/v1/live/alerts/al-{LANDY}/mobilisations", partner)
    assert listed.status_code == 403
    sent = await r.client.post(
        f"/v1/live/alerts/al-{LANDY}/mobilisations",
        json={"note": "x"},
        headers={"Authorization": f"Bearer {partner}"},
    )
    assert sent.status_code == 403
    assert fake.relayed == []  # refused before any call


async def test_mobilisation_relayed_and_followed(network: tuple[Reporting, FakeAlerts]) -> None:
    r, fake = network
    manager = await r.key("manager", territory_ids=[LANDY])
    path = f"/v1/live/alerts/al-{LANDY}/mobilisations"
    sent = await r.client.post(
        path,
        json={"note": "Regroupements dans le hall", "contact_ids": ["clspd-1"]},
        headers={"Authorization": f"Bearer {manager}"},
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["state"] == "sent"
    listed = await r.get(path, manager)
    assert listed.status_code == 200
    (only,) = listed.json()["mobilisations"]
    assert only["note"] == "Regroupements dans le hall"
    assert fake.relayed == [(f"/v1/alerts/al-{LANDY}/mobilisations", f"Bearer {manager}")] * 2
    step = await r.client.post(
        f"{path}/mob-1/events",
        json={"state": "taken_up"},
        headers={"Authorization": f"Bearer {manager}"},
    )
    assert step.status_code == 201
    assert step.json()["state"] == "taken_up"
    backwards = await r.client.post(
        f"{path}/mob-1/events",
        json={"state": "received"},
        headers={"Authorization": f"Bearer {manager}"},
    )
    assert backwards.status_code == 409  # the alerts service's answer, relayed as it is
    # The alerts service's refusals and absences come through as they are.
    unknown = await r.client.post(
        "/v1/live/alerts/nope/mobilisations",
        json={"note": "x"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert unknown.status_code == 404


async def test_alerts_service_absent(reporting: Reporting) -> None:
    assert NO_ALERTS_SERVICE  # the `reporting` fixture points there
    landlord = await reporting.key("landlord", landlord_id="HLM-A")
    answer = await reporting.get("/v1/live/referents", landlord, territory_id=LANDY)
    assert answer.status_code == 503
    assert answer.json()["error"] == "unavailable"


async def test_referents_relayed_from_the_real_alerts_service(
    database_url: str, kafka_bootstrap: str, db: asyncpg.Connection
) -> None:
    """The relay in front of the alerts app itself (same database and keys): its own access
    rules reach the dashboard unchanged."""
    async with serve_alerts(
        database_url=database_url, bootstrap=kafka_bootstrap, clock=ManualClock(NOW)
    ) as alerts:
        async with alerts.client(ALERTS_ADMIN) as admin:
            body = {k: v for k, v in REFERENT.items() if k != "referent_id"}
            created = await admin.put("/v1/referents/ref-1", json=body)
            assert created.status_code in (200, 201), created.text
        async with running_reporting(
            database_url=database_url, kafka_bootstrap=kafka_bootstrap, db=db, alerts_url=alerts.url
        ) as r:
            own = await r.key("landlord", landlord_id="HLM-A")
            other = await r.key("landlord", landlord_id="HLM-B")
            manager = await r.key("manager", territory_ids=[LANDY])
            for token, expected in ((own, ["Awa Diallo"]), (manager, ["Awa Diallo"]), (other, [])):
                answer = await r.get("/v1/live/referents", token, territory_id=LANDY)
                assert answer.status_code == 200, answer.text
                assert [x["name"] for x in answer.json()["referents"]] == expected
            elsewhere = await r.get("/v1/live/referents", own, territory_id=SEMARD)
            assert elsewhere.json()["referents"] == []
