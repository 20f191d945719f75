"""The life of alerts through the running service: counters.changed.v1 in; history, alerts.v1
and webhooks out. Levels up and down with hysteresis, each level notified once in an alert's
life; acknowledgement, resolution by hand, by a withdrawal and by the window sliding."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest

from tests.support.alerts import WebhookReceiver
from tests.support.alerts_service import AlertsService, read_alert_changes
from vigie_alerts import actions

pytestmark = pytest.mark.connected

LANDY = "QN09337M"  # Plaine - Landy - Bailly (Saint-Denis, 93)
FRANC_MOISIN = "QN09328M"  # Saint-Denis, 93
GARE = "QN09301I"  # Secteur Gare - Aviatic (93)
SAINT_NICOLAS = "QN09302M"  # Secteur Saint-Nicolas - Guynemer - Gai Logis (93)
CENTRE = "QN09303M"  # Haut Clichy - Centre Ville - Bosquets - Lucien Noel (93)
TODAY = date(2026, 11, 25)
SECRET = "a-webhook-secret-of-some-length"
# The fields of docs/contract.md §7, in every alerts.v1 message and webhook body.
CONTRACT_FIELDS = {
    "alert_id",
    "rule_id",
    "territory_id",
    "state",
    "level",
    "previous_level",
    "value",
    "threshold",
    "window_days",
    "opened_at",
    "changed_at",
    "dedup_key",
}

TAGS = {
    "name": "Tags et graffitis",
    "scope": {"territory_ids": [LANDY]},
    "selector": {"categories": ["BIE-TAG"]},
    "window_days": 7,
    # Resolves below 0.8 × 2 = 1.6; leaves critique below 0.8 × 6 = 4.8, and under 0.8 × 4 = 3.2
    # it is down to vigilance.
    "levels": {"vigilance": 2, "alerte": 4, "critique": 6},
}


async def test_alerts_follow_the_counters_and_the_people_acting_on_them(
    alerts: AlertsService,
) -> None:
    """One service, two rules on distinct territories, each with its own subscriber; the
    clock moves only at the very end."""
    await levels_go_up_and_down_with_hysteresis_each_notified_once(alerts)
    await an_acknowledgement_racing_a_reading_is_kept(alerts)
    await acknowledged_resolved_by_hand_by_a_withdrawal_and_by_the_window_sliding(alerts)


async def levels_go_up_and_down_with_hysteresis_each_notified_once(alerts: AlertsService) -> None:
    """Each change in the history and on alerts.v1; webhooks for the news only."""
    receiver = WebhookReceiver(secret=SECRET)
    url = await receiver.start()
    try:
        async with alerts.client() as api:
            assert (await api.put("/v1/rules/tags", json=TAGS)).status_code == 201
            sub = await api.put(
                "/v1/subscriptions/landy",
                json={"url": url, "secret": SECRET, "territory_ids": [LANDY]},
            )
            assert sub.status_code == 201, sub.text

            async def count(incidents: int, changes: int) -> list[Any]:
                """Set today's count, announce it, and wait for the alert's nth change."""
                await alerts.set_count(LANDY, TODAY, "BIE-TAG", incidents)
                await alerts.announce([(LANDY, TODAY)])
                alert = await alerts.only_alert(api, rule_id="tags", territory_id=LANDY)
                return await alerts.history(api, alert["alert_id"], changes)

            await count(2, 1)  # opens at vigilance
            await count(6, 2)  # escalates to critique
            await count(5, 2)  # still above 4.8: holds critique
            await count(3, 3)  # below 4.8 and 3.2: back to vigilance, silently
            await count(6, 4)  # critique again, already notified in this life: silently
            await count(2, 4)  # hovering above 1.6: nothing
            history = await count(1, 5)  # below 1.6: resolved
            assert [(h["kind"], h["level"], h["previous_level"]) for h in history] == [
                ("opened", "vigilance", None),
                ("escalated", "critique", "vigilance"),
                ("deescalated", "vigilance", "critique"),
                ("escalated", "critique", "vigilance"),
                ("resolved", "critique", "critique"),
            ]
            assert [h["state"] for h in history] == ["open"] * 4 + ["resolved"]
            assert [h["value"] for h in history] == [2, 6, 3, 6, 1]
            # Going down, the boundary crossed: 0.8 × the threshold of the level above.
            assert [h["threshold"] for h in history] == [2, 6, 3.2, 6, 1.6]
            alert_id = (await api.get("/v1/alerts", params={"state": "resolved"})).json()["alerts"][
                0
            ]["alert_id"]

        # Every change is on alerts.v1, keyed by its territory, in order.
        def complete(records: list[tuple[bytes, dict[str, Any]]]) -> bool:
            return len([r for r in records if r[1]["alert_id"] == alert_id]) == 5

        records = await read_alert_changes(alerts.bootstrap, until=complete)
        changes = [(key, change) for key, change in records if change["alert_id"] == alert_id]
        assert {key for key, _ in changes} == {LANDY.encode()}
        published = [change for _, change in changes]
        assert [c["kind"] for c in published] == [h["kind"] for h in history]
        assert [c["dedup_key"] for c in published] == [f"{alert_id}:{n}" for n in range(1, 6)]
        for change in published:
            assert change.keys() >= CONTRACT_FIELDS
            assert (change["rule_id"], change["territory_id"]) == ("tags", LANDY)
            assert change["window_days"] == 7
            assert change["opened_at"] == published[0]["opened_at"]
        assert [(c["state"], c["level"], c["previous_level"]) for c in published] == [
            ("open", "vigilance", None),
            ("open", "critique", "vigilance"),
            ("open", "vigilance", "critique"),
            ("open", "critique", "vigilance"),
            ("resolved", "critique", "critique"),
        ]
        assert [(c["value"], c["threshold"]) for c in published] == [
            (2, 2),
            (6, 6),
            (3, 3.2),
            (6, 6),
            (1, 1.6),
        ]

        # Webhooks: the opening, the first time at critique and the resolution, nothing else;
        # each body is the alerts.v1 message of its change.
        await alerts.wait_received(receiver, 3)
        notified = [published[0], published[1], published[4]]
        assert [r.json() for r in receiver.received] == notified
        assert all(r.signature_valid for r in receiver.received)
        sent = await alerts.settled("landy")
        assert [(d["dedup_key"], d["state"]) for d in sent] == [
            (c["dedup_key"], "delivered") for c in notified
        ]
        assert len(receiver.received) == 3
    finally:
        await receiver.close()


HALLS = {
    "name": "Halls occupés",
    "scope": {"territory_ids": [CENTRE]},
    "selector": {"categories": ["OCC-HAL"]},
    "window_days": 7,
    "levels": {"vigilance": 2, "alerte": 4},
}


async def an_acknowledgement_racing_a_reading_is_kept(alerts: AlertsService) -> None:
    """An acknowledgement not yet committed when a reading lowers the alert's level: the
    reading waits for it and keeps it (it used to act on the alert as it was before, and put
    it back to open)."""
    async with alerts.client() as api:
        assert (await api.put("/v1/rules/halls", json=HALLS)).status_code == 201
        await alerts.set_count(CENTRE, TODAY, "OCC-HAL", 4)
        await alerts.announce([(CENTRE, TODAY)])
        alert = await alerts.only_alert(api, rule_id="halls", territory_id=CENTRE)
        assert alert["level"] == "alerte"
        runtime = alerts.runtime
        conn = await asyncpg.connect(alerts.database_url)
        try:
            async with conn.transaction():
                await actions.acknowledge(
                    conn,
                    uuid.UUID(alert["alert_id"]),
                    by="Gardien",
                    note=None,
                    index=runtime.evaluator.index,
                    dashboard_url=runtime.dashboard_url,
                    now=alerts.clock(),
                )
                await alerts.set_count(CENTRE, TODAY, "OCC-HAL", 2)
                await alerts.announce([(CENTRE, TODAY)])
                await alerts.wait_for(lambda: _waiting_for_a_lock(alerts))
        finally:
            await conn.close()
        history = await alerts.history(api, alert["alert_id"], 3)
        assert [(h["kind"], h["state"], h["level"]) for h in history] == [
            ("opened", "open", "alerte"),
            ("acknowledged", "acknowledged", "alerte"),
            ("deescalated", "acknowledged", "vigilance"),
        ]
        after = (await api.get(f"/v1/alerts/{alert['alert_id']}")).json()
        assert (after["state"], after["acknowledged_by"]) == ("acknowledged", "Gardien")


async def _waiting_for_a_lock(alerts: AlertsService) -> bool:
    waiting = await alerts.db.fetchval(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return bool(waiting)


ONE_A_DAY = {
    "name": "Dépôts sauvages",
    "scope": {"territory_ids": [SAINT_NICOLAS, FRANC_MOISIN, GARE]},
    "selector": {"categories": ["ENV-DEP"]},
    "window_days": 7,
    "levels": {"alerte": 1},
}


async def acknowledged_resolved_by_hand_by_a_withdrawal_and_by_the_window_sliding(
    alerts: AlertsService,
) -> None:
    """Acknowledged once; resolved by hand (and opened again by the next evaluation), by
    a withdrawal, by the sweep once the window slid past the incident."""
    receiver = WebhookReceiver(secret=SECRET)
    url = await receiver.start()
    try:
        async with alerts.client() as api:
            assert (await api.put("/v1/rules/deposits", json=ONE_A_DAY)).status_code == 201
            territories = [SAINT_NICOLAS, FRANC_MOISIN, GARE]
            sub = await api.put(
                "/v1/subscriptions/deposits",
                json={"url": url, "secret": SECRET, "territory_ids": territories},
            )
            assert sub.status_code == 201, sub.text
            await alerts.set_count(SAINT_NICOLAS, TODAY, "ENV-DEP", 1)
            await alerts.set_count(FRANC_MOISIN, TODAY, "ENV-DEP", 2)
            # Six days ago: the last day of a 7-day window that ends today.
            await alerts.set_count(GARE, TODAY - timedelta(days=6), "ENV-DEP", 1)
            await alerts.announce(
                [(SAINT_NICOLAS, TODAY), (FRANC_MOISIN, TODAY), (GARE, TODAY - timedelta(days=6))]
            )
            nicolas = await alerts.only_alert(api, rule_id="deposits", territory_id=SAINT_NICOLAS)
            franc = await alerts.only_alert(api, rule_id="deposits", territory_id=FRANC_MOISIN)
            gare = await alerts.only_alert(api, rule_id="deposits", territory_id=GARE)

            # Acknowledged: someone is on it; once only.
            ack = await api.post(
                f"/v1/alerts/{nicolas['alert_id']}/ack",
                json={"by": "Astreinte Plaine Commune", "note": "gardien prévenu"},
            )
            assert ack.status_code == 200, ack.text
            assert ack.json()["state"] == "acknowledged"
            assert ack.json()["acknowledged_by"] == "Astreinte Plaine Commune"
            again = await api.post(f"/v1/alerts/{nicolas['alert_id']}/ack", json={"by": "Autre"})
            assert again.status_code == 409
            assert "Astreinte Plaine Commune" in again.json()["detail"]
            detail = (await api.get(f"/v1/alerts/{nicolas['alert_id']}")).json()
            assert detail["state"] == "acknowledged"
            assert [(h["kind"], h["actor"], h["note"]) for h in detail["history"]] == [
                ("opened", None, None),
                ("acknowledged", "Astreinte Plaine Commune", "gardien prévenu"),
            ]
            listed = await api.get(
                "/v1/alerts", params={"state": "acknowledged", "territory_id": SAINT_NICOLAS}
            )
            assert [a["alert_id"] for a in listed.json()["alerts"]] == [nicolas["alert_id"]]

            # Resolved by hand; then neither acknowledged nor resolved again.
            resolved = await api.post(
                f"/v1/alerts/{nicolas['alert_id']}/resolve", json={"by": "Astreinte", "note": "ok"}
            )
            assert resolved.status_code == 200, resolved.text
            assert resolved.json()["state"] == "resolved"
            assert resolved.json()["resolved_at"] is not None
            for action in ("ack", "resolve"):
                late = await api.post(f"/v1/alerts/{nicolas['alert_id']}/{action}", json={})
                assert late.status_code == 409, (action, late.text)

            # The incidents are withdrawn: the counters go back to zero, the alert resolves.
            await alerts.set_count(FRANC_MOISIN, TODAY, "ENV-DEP", 0)
            await alerts.announce([(FRANC_MOISIN, TODAY)])
            history = await alerts.history(api, franc["alert_id"], 2)
            assert [(h["kind"], h["state"], h["value"]) for h in history] == [
                ("opened", "open", 2),
                ("resolved", "resolved", 0),
            ]

            # A day later the incident of six days ago is out of the window.
            await alerts.advance(timedelta(days=1))
            assert await alerts.sweeper.sweep() >= 1
            history = await alerts.history(api, gare["alert_id"], 2)
            assert [(h["kind"], h["state"], h["actor"]) for h in history] == [
                ("opened", "open", None),
                ("resolved", "resolved", None),
            ]

            # Resolved by hand while its incident still counts: the next evaluation (this
            # sweep) opened a new alert there.
            listed = await api.get("/v1/alerts", params={"state": "open", "territory_id": "DEP-93"})
            open_now = [a for a in listed.json()["alerts"] if a["rule_id"] == "deposits"]
            assert [a["territory_id"] for a in open_now] == [SAINT_NICOLAS]
            reopened = open_now[0]["alert_id"]
            assert reopened != nicolas["alert_id"]
            states = {
                a["alert_id"]: a["state"]
                for a in (await api.get("/v1/alerts")).json()["alerts"]
                if a["rule_id"] == "deposits"
            }
            assert states == {
                nicolas["alert_id"]: "resolved",
                franc["alert_id"]: "resolved",
                gare["alert_id"]: "resolved",
                reopened: "open",
            }

            # Every change was notified: openings, the acknowledgement, resolutions.
            received = await alerts.wait_received(receiver, 8)
            by_alert: dict[str, list[str]] = {}
            for request in received:
                body = request.json()
                by_alert.setdefault(body["alert_id"], []).append(body["kind"])
            assert by_alert == {
                nicolas["alert_id"]: ["opened", "acknowledged", "resolved"],
                franc["alert_id"]: ["opened", "resolved"],
                gare["alert_id"]: ["opened", "resolved"],
                reopened: ["opened"],
            }
    finally:
        await receiver.close()
