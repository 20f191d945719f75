"""The alerts service end to end in one process: counters and counters.changed.v1 in, alerts,
history, alerts.v1, signed webhooks out; against the real database and broker."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.support.alerts import WebhookReceiver
from tests.support.alerts_service import AlertsService

pytestmark = pytest.mark.connected

LANDY = "QN09337M"  # Plaine - Landy - Bailly (Saint-Denis, 93), 1,040 social dwellings
TODAY = date(2026, 11, 25)
SECRET = "a-webhook-secret-of-some-length"

STAFF_RULE = {
    "name": "Agressions du personnel",
    "selector": {"categories": ["PER-PHY"], "targets": ["personnel"]},
    "window_days": 7,
    "levels": {"alerte": 1, "critique": 3},
}


async def test_a_crossing_opens_an_alert_notifies_once_and_resolves_when_the_window_slides(
    alerts: AlertsService,
) -> None:
    receiver = WebhookReceiver(secret=SECRET)
    url = await receiver.start()
    try:
        async with alerts.client() as api:
            assert (await api.put("/v1/rules/staff", json=STAFF_RULE)).status_code == 201
            response = await api.put(
                "/v1/subscriptions/oncall", json={"url": url, "secret": SECRET}
            )
            assert response.status_code == 201, response.text

            await alerts.set_count(LANDY, TODAY, "PER-PHY", 1, target="personnel")
            await alerts.announce([(LANDY, TODAY)])
            await alerts.wait_for(lambda: _received(receiver, 1))
            first = receiver.received[0]
            assert first.signature_valid
            body = first.json()
            assert body["rule_id"] == "staff"
            assert body["territory_id"] == LANDY
            assert (body["state"], body["level"], body["previous_level"]) == (
                "open",
                "alerte",
                None,
            )
            assert (body["value"], body["threshold"], body["window_days"]) == (1, 1, 7)
            assert body["top_categories"][0]["code"] == "PER-PHY"

            # The same message again (at least once): nothing changes, nothing is sent.
            await alerts.announce([(LANDY, TODAY)])
            listed = (await api.get("/v1/alerts", params={"state": "open"})).json()["alerts"]
            assert len(listed) == 1
            alert_id = listed[0]["alert_id"]

            # Eight days later the incident left the 7-day window: the sweep resolves it.
            await alerts.advance(timedelta(days=8))
            await alerts.sweeper.sweep()
            await alerts.wait_for(lambda: _received(receiver, 2))
            resolved = receiver.received[1].json()
            assert (resolved["state"], resolved["kind"]) == ("resolved", "resolved")
            detail = (await api.get(f"/v1/alerts/{alert_id}")).json()
            assert [h["kind"] for h in detail["history"]] == ["opened", "resolved"]
            assert len(receiver.received) == 2
    finally:
        await receiver.close()


async def _received(receiver: WebhookReceiver, n: int) -> bool:
    return len(receiver.received) >= n
