"""Administrative actions on the alerts service (rules, subscriptions, silences) are written to
the append-only audit log with who, when and what, in the same transaction; a subscription's
secret never is."""

from __future__ import annotations

import asyncpg
import pytest

from tests.support.alerts_service import AlertsService
from vigie.platform import audit

pytestmark = pytest.mark.connected

LANDY = "QN09337M"
RULE = {
    "name": "Tags",
    "scope": {"territory_ids": [LANDY]},
    "selector": {"categories": ["BIE-TAG"]},
    "window_days": 7,
    "levels": {"alerte": 3},
}
SECRET = "a-webhook-secret-never-logged"


async def test_rules_subscriptions_and_silences_are_audited(alerts: AlertsService) -> None:
    token = await alerts.key("manager", territory_ids=[LANDY], name="astreinte 93")
    async with alerts.client() as admin, alerts.client(token) as manager:
        assert (await admin.put("/v1/rules/tags", json=RULE)).status_code == 201
        hook = {"url": "http://127.0.0.1:9/hooks", "secret": SECRET, "territory_ids": [LANDY]}
        assert (await manager.put("/v1/subscriptions/mine", json=hook)).status_code == 201
        silence = {"territory_id": LANDY, "ends_at": "2030-01-01T00:00:00Z", "reason": "travaux"}
        assert (await admin.put("/v1/silences/works", json=silence)).status_code == 201
        assert (await admin.delete("/v1/silences/works")).status_code == 204
        assert (await manager.delete("/v1/subscriptions/mine")).status_code == 204
        assert (await admin.delete("/v1/rules/tags")).status_code == 204
        # Refused actions change nothing and are not logged as done.
        assert (await manager.put("/v1/rules/other", json=RULE)).status_code == 403
    conn = await asyncpg.connect(alerts.database_url)
    try:
        logged = list(reversed(await audit.entries(conn)))
        raw = await conn.fetchval("SELECT string_agg(details::text, ' ') FROM audit_log")
    finally:
        await conn.close()
    assert [(e["action"], e["target"]) for e in logged] == [
        ("rules.put", "tags"),
        ("subscriptions.put", "mine"),
        ("silences.put", "works"),
        ("silences.delete", "works"),
        ("subscriptions.delete", "mine"),
        ("rules.delete", "tags"),
    ]
    assert logged[1]["actor_role"] == "manager"
    assert logged[0]["actor_role"] == "admin"
    assert logged[0]["details"]["levels"]["alerte"] == 3
    assert logged[1]["details"]["territory_ids"] == [LANDY]
    assert SECRET not in raw
