"""Who sees and acknowledges which alerts (vigie_alerts.access), over the API and the live
stream: a manager within its territories, a landlord only the alerts of rules scoped to it,
a partner nothing."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import httpx
import pytest

from tests.support.alerts_service import AlertsService, SseListener

pytestmark = pytest.mark.connected

LANDY = "QN09337M"  # Plaine - Landy - Bailly, Saint-Denis, in DEP-93
AIN = "QN00101M"  # Grande Reyssouze Terre Des Fleurs, Bourg-en-Bresse, in DEP-01
TODAY = date(2026, 11, 25)
# Once the admin's stream has every change, the others' have had them too (one fan-out in
# the same process): a moment more lets them write what they would.
SETTLE_S = 0.5

SHARED = {
    "name": "Tags",
    "scope": {"territory_ids": [LANDY, AIN]},
    "selector": {"categories": ["BIE-TAG"]},
    "window_days": 7,
    "levels": {"alerte": 1},
}
LANDLORD_A = {
    **SHARED,
    "name": "Tags chez A",
    "scope": {"territory_ids": [LANDY], "landlord_id": "a"},
}


HOOK: dict[str, object] = {
    "url": "http://127.0.0.1:9/hooks",
    "secret": "a-webhook-secret-of-some-length",
}


async def manages_its_own_subscriptions_within_its_territories(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    """A manager subscribes within its territories (or below them), and sees only its own
    subscriptions; landlords and partners manage none."""
    manager, other, admin = clients["manager93"], clients["manager01"], clients["admin"]
    assert (await admin.put("/v1/subscriptions/admins", json=HOOK)).status_code == 201
    for name, territory_ids in (("dep93", ["DEP-93"]), ("landy", [LANDY])):
        body = {**HOOK, "territory_ids": territory_ids}
        created = await manager.put(f"/v1/subscriptions/{name}", json=body)
        assert created.status_code == 201, created.text
    outside: list[list[str] | None] = [["DEP-01"], [LANDY, AIN], None]
    for territories in outside:
        body = {**HOOK, "territory_ids": territories}
        refused = await manager.put("/v1/subscriptions/outside", json=body)
        assert refused.status_code == 403, (territories, refused.text)
    listed = (await manager.get("/v1/subscriptions")).json()["subscriptions"]
    assert sorted(s["subscription_id"] for s in listed) == ["dep93", "landy"]
    assert (await manager.get("/v1/subscriptions/admins")).status_code == 404
    assert (await other.get("/v1/subscriptions/dep93")).status_code == 404
    taken = await other.put("/v1/subscriptions/dep93", json={**HOOK, "territory_ids": ["DEP-01"]})
    assert taken.status_code == 403
    assert (await other.delete("/v1/subscriptions/dep93")).status_code == 404
    assert (await manager.delete("/v1/subscriptions/landy")).status_code == 204
    for who in ("landlord_a", "partner"):
        assert (await clients[who].get("/v1/subscriptions")).status_code == 403, who
        assert (await clients[who].put("/v1/subscriptions/x", json=HOOK)).status_code == 403
    everyone = (await admin.get("/v1/subscriptions")).json()["subscriptions"]
    assert sorted(s["subscription_id"] for s in everyone) == ["admins", "dep93"]


def seen(listener: SseListener) -> set[tuple[str, str, str]]:
    """(rule, territory, kind) of the changes a stream carried."""
    return {(e["rule_id"], e["territory_id"], e["kind"]) for e in listener.events}


async def test_managers_landlords_and_partners_see_what_their_keys_allow(
    alerts: AlertsService,
) -> None:
    tokens = {
        "admin": None,
        "manager93": await alerts.key("manager", territory_ids=["DEP-93"], name="Sûreté 93"),
        "manager01": await alerts.key("manager", territory_ids=["DEP-01"]),
        "landlord_a": await alerts.key("landlord", landlord_id="a"),
        "landlord_b": await alerts.key("landlord", landlord_id="b"),
        "partner": await alerts.key("partner", territory_ids=["DEP-93"]),
    }
    clients = {
        who: alerts.client(token) if token else alerts.client() for who, token in tokens.items()
    }
    streams = {who: SseListener(client) for who, client in clients.items()}
    try:
        assert await streams["partner"].start() == 403
        for who in ("admin", "manager93", "manager01", "landlord_a", "landlord_b"):
            assert await streams[who].start() == 200, who
        api = clients["admin"]
        assert (await api.put("/v1/rules/shared", json=SHARED)).status_code == 201
        assert (await api.put("/v1/rules/landlord-a", json=LANDLORD_A)).status_code == 201
        await alerts.set_count(LANDY, TODAY, "BIE-TAG", 1, landlord_id="a")
        await alerts.set_count(AIN, TODAY, "BIE-TAG", 1, landlord_id="b")
        await alerts.announce([(LANDY, TODAY), (AIN, TODAY)])
        shared_landy = await alerts.only_alert(api, rule_id="shared", territory_id=LANDY)
        shared_ain = await alerts.only_alert(api, rule_id="shared", territory_id=AIN)
        a_landy = await alerts.only_alert(api, rule_id="landlord-a", territory_id=LANDY)
        assert (a_landy["landlord_id"], shared_landy["landlord_id"]) == ("a", None)

        # A manager of DEP-93 sees and acknowledges Saint-Denis, not the Ain.
        manager = clients["manager93"]
        listed = (await manager.get("/v1/alerts")).json()["alerts"]
        assert {a["alert_id"] for a in listed} == {shared_landy["alert_id"], a_landy["alert_id"]}
        assert (await manager.get(f"/v1/alerts/{shared_landy['alert_id']}")).status_code == 200
        assert (await manager.get(f"/v1/alerts/{shared_ain['alert_id']}")).status_code == 404
        assert (await manager.get("/v1/alerts", params={"territory_id": AIN})).json() == {
            "alerts": []
        }
        for action in ("ack", "resolve"):
            refused = await manager.post(f"/v1/alerts/{shared_ain['alert_id']}/{action}", json={})
            assert refused.status_code == 404, action
        ack = await manager.post(f"/v1/alerts/{shared_landy['alert_id']}/ack", json={})
        assert ack.status_code == 200, ack.text
        assert ack.json()["acknowledged_by"] == "Sûreté 93"  # the key's name
        listed = (await clients["manager01"].get("/v1/alerts")).json()["alerts"]
        assert [a["alert_id"] for a in listed] == [shared_ain["alert_id"]]

        # A landlord reads the alerts of rules scoped to it, and acts on none.
        landlord = clients["landlord_a"]
        listed = (await landlord.get("/v1/alerts")).json()["alerts"]
        assert [a["alert_id"] for a in listed] == [a_landy["alert_id"]]
        assert (await landlord.get(f"/v1/alerts/{a_landy['alert_id']}")).status_code == 200
        assert (await landlord.get(f"/v1/alerts/{shared_landy['alert_id']}")).status_code == 404
        for action in ("ack", "resolve"):
            refused = await landlord.post(f"/v1/alerts/{a_landy['alert_id']}/{action}", json={})
            assert refused.status_code == 403, action
        assert (await clients["landlord_b"].get("/v1/alerts")).json() == {"alerts": []}

        # A partner (CLSPD) reads none of it.
        partner = clients["partner"]
        assert (await partner.get("/v1/alerts")).status_code == 403
        assert (await partner.get(f"/v1/alerts/{shared_landy['alert_id']}")).status_code == 403
        refused = await partner.post(f"/v1/alerts/{shared_landy['alert_id']}/ack", json={})
        assert refused.status_code == 403

        await manages_its_own_subscriptions_within_its_territories(clients)

        # The live streams carried the same bounds: three openings and one acknowledgement.
        everything = {
            ("shared", LANDY, "opened"),
            ("landlord-a", LANDY, "opened"),
            ("shared", AIN, "opened"),
            ("shared", LANDY, "acknowledged"),
        }
        await streams["admin"].wait_events(4)
        await asyncio.sleep(SETTLE_S)
        assert seen(streams["admin"]) == everything
        assert seen(streams["manager93"]) == everything - {("shared", AIN, "opened")}
        assert seen(streams["manager01"]) == {("shared", AIN, "opened")}
        assert seen(streams["landlord_a"]) == {("landlord-a", LANDY, "opened")}
        assert seen(streams["landlord_b"]) == set()
        events: list[dict[str, Any]] = streams["admin"].events
        assert streams["admin"].ids == [e["dedup_key"] for e in events]
    finally:
        for listener in streams.values():
            await listener.close()
        for client in clients.values():
            await client.aclose()
