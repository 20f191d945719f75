"""`/v1/rules` on the real app: created, replaced, read with what the last sweep found, listed,
deleted with its alerts resolved and notified; refused with the field at fault named; written
by admins only (docs/contract.md §7)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.support.alerts import WebhookReceiver
from tests.support.alerts_service import AlertsService

pytestmark = pytest.mark.connected

LANDY = "QN09337M"  # Plaine - Landy - Bailly (Saint-Denis, 93), 1,040 social dwellings
TODAY = date(2026, 11, 25)
SECRET = "a-webhook-secret-of-some-length"

TAGS = {
    "name": "Tags",
    "scope": {"territory_ids": [LANDY]},
    "selector": {"categories": ["BIE-TAG"]},
    "window_days": 7,
    "levels": {"alerte": 1},
}


def rate_rule(territory_ids: list[str], *, name: str = "Taux de faits") -> dict[str, Any]:
    """A rate rule with thresholds nothing here reaches."""
    return {
        "name": name,
        "scope": {"territory_ids": territory_ids},
        "window_days": 30,
        "metric": "rate_per_1000_dwellings",
        "levels": {"vigilance": 500, "alerte": 900},
    }


async def test_rules_are_checked_written_by_admins_read_with_their_status_and_deleted(
    alerts: AlertsService,
) -> None:
    """One service for the whole API (each app costs a consumer-group join); each phase
    starts with no rule."""
    await refuses_invalid_rules(alerts)
    await lets_only_admins_write(alerts)
    async with alerts.client() as api:
        for rule_id in ("tags", "other-landlord"):
            assert (await api.delete(f"/v1/rules/{rule_id}")).status_code == 204
    await creates_replaces_reads_lists_and_deletes(alerts)


async def creates_replaces_reads_lists_and_deletes(alerts: AlertsService) -> None:
    """PUT 201 then 200, GET with the last sweep's status, list, DELETE resolving alerts."""
    no_dwellings = await alerts.db.fetchval(
        "SELECT territory_id FROM territories WHERE social_dwellings IS NULL LIMIT 1"
    )
    receiver = WebhookReceiver(secret=SECRET)
    url = await receiver.start()
    try:
        async with alerts.client() as api:
            created = await api.put("/v1/rules/rate", json=rate_rule([LANDY, no_dwellings]))
            assert created.status_code == 201, created.text
            assert created.json()["rule_id"] == "rate"
            assert created.json()["name"] == "Taux de faits"
            # Defaults are filled in and shown.
            assert (created.json()["clear_ratio"], created.json()["min_count"]) == (0.8, 1)

            replaced = await api.put(
                "/v1/rules/rate", json=rate_rule([LANDY, no_dwellings], name="Taux sur 30 jours")
            )
            assert replaced.status_code == 200, replaced.text
            assert replaced.json()["name"] == "Taux sur 30 jours"
            assert replaced.json()["created_at"] == created.json()["created_at"]

            await alerts.sweeper.sweep()
            rule = (await api.get("/v1/rules/rate")).json()
            assert rule["name"] == "Taux sur 30 jours"
            assert rule["metric"] == "rate_per_1000_dwellings"
            assert rule["status"]["territories_evaluated"] == 1
            assert rule["status"]["skipped"] == [no_dwellings]
            assert rule["status"]["skipped_reason"] == "no social dwellings figure"

            # Over the QPV and its département (whose count includes the QPV's incidents).
            wide = {**TAGS, "scope": {"territory_ids": [LANDY, "DEP-93"]}}
            assert (await api.put("/v1/rules/tags", json=wide)).status_code == 201
            listed = (await api.get("/v1/rules")).json()["rules"]
            assert [r["rule_id"] for r in listed] == ["rate", "tags"]
            assert (await api.get("/v1/rules/nope")).status_code == 404
            sub = await api.put("/v1/subscriptions/oncall", json={"url": url, "secret": SECRET})
            assert sub.status_code == 201, sub.text
            await alerts.set_count(LANDY, TODAY, "BIE-TAG", 1)
            await alerts.announce([(LANDY, TODAY)])
            landy = await alerts.only_alert(api, rule_id="tags", territory_id=LANDY)
            department = await alerts.only_alert(api, rule_id="tags", territory_id="DEP-93")
            assert (landy["state"], department["state"]) == ("open", "open")

            # The scope shrinks: the alert left outside it is resolved.
            assert (await api.put("/v1/rules/tags", json=TAGS)).status_code == 200
            outside = (await api.get(f"/v1/alerts/{department['alert_id']}")).json()
            assert outside["state"] == "resolved"
            assert outside["history"][-1]["note"] == "hors du périmètre de la règle"

            # Deleting the rule resolves its live alert; subscribers hear of every resolution.
            assert (await api.delete("/v1/rules/tags")).status_code == 204
            received = await alerts.wait_received(receiver, 4)
            assert sorted((r.json()["territory_id"], r.json()["kind"]) for r in received) == [
                ("DEP-93", "opened"),
                ("DEP-93", "resolved"),
                (LANDY, "opened"),
                (LANDY, "resolved"),
            ]
            assert all(r.signature_valid for r in received)
            assert {r.json()["state"] for r in received if r.json()["kind"] == "resolved"} == {
                "resolved"
            }
            after = (await api.get(f"/v1/alerts/{landy['alert_id']}")).json()
            assert after["state"] == "resolved"
            assert after["history"][-1]["note"] == "règle supprimée"
            assert (await api.get("/v1/rules/tags")).status_code == 404
            assert (await api.delete("/v1/rules/tags")).status_code == 404
            assert [r["rule_id"] for r in (await api.get("/v1/rules")).json()["rules"]] == ["rate"]
            # With its rule gone, new counts open nothing.
            await alerts.set_count(LANDY, TODAY, "BIE-TAG", 3)
            assert await alerts.sweeper.sweep() == 0
    finally:
        await receiver.close()


INVALID: list[tuple[str, str, dict[str, Any], str]] = [
    # (what, rule id, body, the field named)
    (
        "levels out of order",
        "r",
        {**TAGS, "levels": {"alerte": 5, "critique": 3}},
        "levels.critique",
    ),
    ("no level at all", "r", {**TAGS, "levels": {}}, "levels"),
    (
        "unknown category",
        "r",
        {**TAGS, "selector": {"categories": ["BIE-TAG", "XXX-NOPE"]}},
        "selector.categories",
    ),
    (
        "unknown territory",
        "r",
        {**TAGS, "scope": {"territory_ids": [LANDY, "QN99999Z"]}},
        "scope.territory_ids",
    ),
    (
        "misspelt field",
        "r",
        {**{k: v for k, v in TAGS.items() if k != "window_days"}, "windows_days": 7},
        "windows_days",
    ),
    ("window too long", "r", {**TAGS, "window_days": 366}, "window_days"),
    ("clear ratio of 1", "r", {**TAGS, "clear_ratio": 1}, "clear_ratio"),
    ("unknown metric", "r", {**TAGS, "metric": "sum"}, "metric"),
    ("bad rule id", "-starts-with-a-dash", TAGS, "rule_id"),
    ("rule id too long", "r" * 65, TAGS, "rule_id"),
]


async def refuses_invalid_rules(alerts: AlertsService) -> None:
    """422 naming the field at fault; nothing stored."""
    async with alerts.client() as api:
        for what, rule_id, body, field in INVALID:
            response = await api.put(f"/v1/rules/{rule_id}", json=body)
            assert response.status_code == 422, (what, response.text)
            fields = [e["field"] for e in response.json()["errors"]]
            assert field in fields, (what, fields)
        assert (await api.get("/v1/rules")).json()["rules"] == []


async def lets_only_admins_write(alerts: AlertsService) -> None:
    """Partners read nothing; landlords and managers read, and write nothing."""
    partner = await alerts.key("partner", territory_ids=["DEP-93"])
    landlord = await alerts.key("landlord", landlord_id="bailleur-a")
    manager = await alerts.key("manager", territory_ids=["DEP-93"])
    async with alerts.client() as api:
        assert (await api.put("/v1/rules/tags", json=TAGS)).status_code == 201
        landlords_own = {**TAGS, "scope": {"territory_ids": [LANDY], "landlord_id": "bailleur-b"}}
        assert (await api.put("/v1/rules/other-landlord", json=landlords_own)).status_code == 201

    async with alerts.client(partner) as api:
        assert (await api.get("/v1/rules")).status_code == 403
        assert (await api.get("/v1/rules/tags")).status_code == 403
        assert (await api.put("/v1/rules/tags", json=TAGS)).status_code == 403
        assert (await api.delete("/v1/rules/tags")).status_code == 403
    for token in (landlord, manager):
        async with alerts.client(token) as api:
            assert (await api.get("/v1/rules/tags")).status_code == 200
            assert (await api.put("/v1/rules/tags", json=TAGS)).status_code == 403
            assert (await api.put("/v1/rules/new", json=TAGS)).status_code == 403
            assert (await api.delete("/v1/rules/tags")).status_code == 403
    # A landlord reads the shared rules and its own, not another landlord's.
    async with alerts.client(landlord) as api:
        assert [r["rule_id"] for r in (await api.get("/v1/rules")).json()["rules"]] == ["tags"]
        assert (await api.get("/v1/rules/other-landlord")).status_code == 404
    async with alerts.client(manager) as api:
        listed = (await api.get("/v1/rules")).json()["rules"]
        assert [r["rule_id"] for r in listed] == ["other-landlord", "tags"]
    async with alerts.client("not-a-token") as api:
        assert (await api.get("/v1/rules")).status_code == 401
    async with alerts.client() as api:
        listed = (await api.get("/v1/rules")).json()["rules"]
        assert [r["rule_id"] for r in listed] == ["other-landlord", "tags"]
        assert listed[1]["name"] == TAGS["name"]
