"""Open alerts in summaries and the live stream relayed for the dashboard, with the alerts
service present (a stand-in speaking §7) and absent."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.reporting.conftest import (
    ADMIN_TOKEN,
    BOURG,
    LANDY,
    Reporting,
    running_reporting,
)
from tests.reporting.fake_alerts import FakeAlerts, alert, fake_alerts_service

pytestmark = pytest.mark.connected


async def wait_for_alerts(reporting: Reporting, territory: str) -> list[dict[str, object]]:
    """The summary's open alerts once the background poll has seen some."""
    for _ in range(100):
        body = (await reporting.get(f"/v1/territories/{territory}/summary")).json()
        if body["open_alerts"]:
            return list(body["open_alerts"])
        await asyncio.sleep(0.05)
    return []


async def test_summaries_list_the_open_alerts_inside_the_territory(
    database_url: str, kafka_bootstrap: str, db: asyncpg.Connection
) -> None:
    fake = FakeAlerts(
        [alert(LANDY), alert(BOURG, level="critique"), alert(LANDY, alert_id="x", state="resolved")]
    )
    with fake_alerts_service(fake) as alerts_url:
        async with running_reporting(
            database_url=database_url, kafka_bootstrap=kafka_bootstrap, db=db, alerts_url=alerts_url
        ) as reporting:
            department = await wait_for_alerts(reporting, "DEP-93")
            assert [a["alert_id"] for a in department] == [f"al-{LANDY}"]
            national = (await reporting.get("/v1/territories/FR/summary")).json()
            assert {a["territory_id"] for a in national["open_alerts"]} == {LANDY, BOURG}
            partner = await reporting.key("partner", territory_ids=["DEP-93"])
            shared = (await reporting.get("/v1/shared/territories/DEP-93/summary", partner)).json()
            assert [a["alert_id"] for a in shared["open_alerts"]] == [f"al-{LANDY}"]
            assert "value" not in shared["open_alerts"][0]  # a count that may be below 5
            landlord = await reporting.key("landlord", landlord_id="hlm-a")
            own = (await reporting.get("/v1/territories/FR/summary", landlord)).json()
            assert own["open_alerts"] == []  # computed from every landlord's incidents


async def test_the_live_stream_is_relayed_with_the_callers_token(
    database_url: str, kafka_bootstrap: str, db: asyncpg.Connection
) -> None:
    # httpx's ASGI transport reads a response to its end: a short stream keeps the test short.
    fake = FakeAlerts([alert(LANDY)], stream_seconds=0.3)
    with fake_alerts_service(fake) as alerts_url:
        async with running_reporting(
            database_url=database_url, kafka_bootstrap=kafka_bootstrap, db=db, alerts_url=alerts_url
        ) as reporting:
            headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            async with reporting.client.stream("GET", "/v1/live/alerts", headers=headers) as live:
                assert live.status_code == 200
                assert live.headers["content-type"].startswith("text/event-stream")
                received = b""
                async for chunk in live.aiter_bytes():
                    received += chunk
                    if f"al-{LANDY}".encode() in received:
                        break
            assert b"data: " in received
            assert fake.authorizations == [f"Bearer {ADMIN_TOKEN}"]


async def test_an_acknowledgement_is_relayed_with_the_callers_token(
    database_url: str, kafka_bootstrap: str, db: asyncpg.Connection
) -> None:
    fake = FakeAlerts([alert(LANDY)])
    with fake_alerts_service(fake) as alerts_url:
        async with running_reporting(
            database_url=database_url, kafka_bootstrap=kafka_bootstrap, db=db, alerts_url=alerts_url
        ) as reporting:
            headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            answer = await reporting.client.post(
                f"/v1/live/alerts/al-{LANDY}/ack", json={"note": "vu"}, headers=headers
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["state"] == "acknowledged"
            missing = await reporting.client.post(
                "/v1/live/alerts/al-nowhere/ack", json={}, headers=headers
            )
            assert missing.status_code == 404
            unauthenticated = await reporting.client.post(f"/v1/live/alerts/al-{LANDY}/ack")
            assert unauthenticated.status_code == 401
    assert fake.acknowledgements[0] == (f"al-{LANDY}", f"Bearer {ADMIN_TOKEN}", {"note": "vu"})


async def test_without_the_alerts_service_reporting_still_answers(reporting: Reporting) -> None:
    summary = await reporting.get(f"/v1/territories/{LANDY}/summary")
    assert summary.status_code == 200
    assert summary.json()["open_alerts"] == []
    live = await reporting.get("/v1/live/alerts")
    assert live.status_code == 503
    assert live.json()["error"] == "unavailable"
    assert (await reporting.client.get("/v1/live/alerts")).status_code == 401
