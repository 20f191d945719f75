"""Alerts end to end through real processes: an incident posted to intake is counted by the
aggregator, turned into an alert by the alerts service and POSTed, signed, to a local webhook.
Then the alerts process is killed with SIGKILL in the middle of deliveries and started again:
no change is lost, and none that was answered 2xx is sent again."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.support.alerts_process import ADMIN_TOKEN, HoldingReceiver, incident, service_env
from vigie.platform.service_process import ServiceProcess

pytestmark = [pytest.mark.connected, pytest.mark.e2e]

LANDY = "QN09337M"  # all in Seine-Saint-Denis
MID_DELIVERY = ["QN09328M", "QN09301I", "QN09302M"]  # held open when alerts is killed
WHILE_DOWN = "QN09303M"  # posted while alerts is down
SECRET = "a-webhook-secret-of-some-length"
LEASE_S = 2.0  # a claimed notification not marked within this is sent again
WAIT_S = 60.0  # process starts and consumer-group joins take seconds each

STAFF = {
    "name": "Agressions du personnel",
    "scope": {"territory_ids": [LANDY, *MID_DELIVERY, WHILE_DOWN]},
    "selector": {"categories": ["PER-PHY"], "targets": ["personnel"]},
    "window_days": 7,
    "levels": {"alerte": 1, "critique": 3},
}


async def until(check: Callable[[], Awaitable[bool]], *, what: str) -> None:
    """Poll `check` until it holds, at most WAIT_S."""
    try:
        async with asyncio.timeout(WAIT_S):
            while not await check():  # noqa: ASYNC110 (polls processes and a database)
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"{what}: not within {WAIT_S:g} s") from None


async def test_an_incident_reaches_a_webhook_and_a_killed_alerts_process_loses_nothing(
    kafka_bootstrap: str, database_url: str, tmp_path: Path
) -> None:
    env = service_env(
        kafka_bootstrap=kafka_bootstrap, database_url=database_url, data_dir=tmp_path / "data"
    )
    logs = tmp_path / "logs"
    intake = ServiceProcess.vigie("intake", env=env, log_file=logs / "intake.log")
    aggregator = ServiceProcess.vigie("aggregator", env=env, log_file=logs / "aggregator.log")
    alerts = ServiceProcess.vigie(
        "alerts",
        env={
            **env,
            "ALERTS_DELIVERY_LEASE_S": str(LEASE_S),
            "ALERTS_RETRY_BASE_S": "0.2",
            "ALERTS_DELIVERY_TIMEOUT_S": "3",
        },
        log_file=logs / "alerts.log",
    )
    oncall = HoldingReceiver(secret=SECRET)
    crash = HoldingReceiver(secret=SECRET, holding=True)
    db = await asyncpg.connect(database_url)
    processes = (intake, aggregator, alerts)
    try:
        # Started together: each waits for its own consumer-group join.
        await asyncio.gather(*(asyncio.to_thread(p.start_ready) for p in processes))
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with httpx.AsyncClient(headers=headers, timeout=10) as http:

            async def post(territory_id: str) -> None:
                event = incident(territory_id, landlord_id="bailleur-e2e")
                response = await http.post(f"{intake.url}/v1/incidents", json=event)
                assert response.status_code == 202, response.text

            async def subscribe(name: str, receiver: HoldingReceiver) -> None:
                body = {"url": await receiver.start(), "secret": SECRET}
                response = await http.put(f"{alerts.url}/v1/subscriptions/{name}", json=body)
                assert response.status_code == 201, response.text

            response = await http.put(f"{alerts.url}/v1/rules/staff", json=STAFF)
            assert response.status_code == 201, response.text
            await subscribe("oncall", oncall)

            # intake → incidents.v1 → aggregator → counters → counters.changed.v1 → alerts →
            # a signed webhook.
            await post(LANDY)

            async def answered(receiver: HoldingReceiver, n: int) -> bool:
                return len(receiver.answered) >= n

            await until(lambda: answered(oncall, 1), what="the first webhook")
            (first,) = oncall.answered
            assert first.signature_valid
            body = first.json()
            assert (body["rule_id"], body["territory_id"], body["kind"], body["level"]) == (
                "staff",
                LANDY,
                "opened",
                "alerte",
            )
            assert (body["value"], body["threshold"], body["window_days"]) == (1, 1, 7)

            # Three more alerts: on-call answers at once, the other endpoint holds them open.
            await subscribe("crash", crash)
            for territory_id in MID_DELIVERY:
                await post(territory_id)

            async def oncall_recorded() -> bool:
                # Only a 2xx the service recorded as delivered is safe from a resend: one
                # answered just before a crash is rightly sent again (at least once).
                states = await db.fetch(
                    "SELECT state FROM alert_deliveries WHERE subscription_id = 'oncall'"
                )
                return len(states) == 4 and all(s["state"] == "delivered" for s in states)

            async def all_held() -> bool:
                return len(set(crash.held_now.values())) == len(MID_DELIVERY)

            await until(oncall_recorded, what="on-call's four deliveries recorded")
            await until(all_held, what="three deliveries held open at once")
            held_at_kill = set(crash.held_now.values())
            await asyncio.to_thread(alerts.kill)
            crash.holding = False
            # Not evaluated by anyone until alerts is back.
            await post(WHILE_DOWN)
            await asyncio.to_thread(alerts.start_ready, timeout=WAIT_S)

            await until(lambda: answered(crash, 4), what="the held deliveries sent again")
            await until(lambda: answered(oncall, 5), what="the change made while down")
            # A resend would come once a lease runs out: give any that was wrongly left
            # pending the time to show up.
            await asyncio.sleep(LEASE_S + 1.0)

        alerts_rows = await db.fetch("SELECT alert_id, territory_id, changes FROM alerts")
        assert sorted(r["territory_id"] for r in alerts_rows) == sorted(
            [LANDY, *MID_DELIVERY, WHILE_DOWN]
        )
        assert {r["changes"] for r in alerts_rows} == {1}  # each opened, nothing else
        key_of = {r["territory_id"]: f"{r['alert_id']}:1" for r in alerts_rows}
        # Every change reached both endpoints, each exactly once.
        assert Counter(oncall.answered_keys()) == Counter(key_of.values())
        since_crash_subscribed = {key_of[t] for t in [*MID_DELIVERY, WHILE_DOWN]}
        assert Counter(crash.answered_keys()) == Counter(since_crash_subscribed)
        assert held_at_kill == {key_of[t] for t in MID_DELIVERY}
        assert all(r.signature_valid for r in [*oncall.answered, *crash.answered])
        for request in crash.answered:
            assert request.json()["dedup_key"] == request.headers["x-vigie-delivery"]
        # The deliveries held at the kill were claimed by the dead process, then again.
        rows = await db.fetch(
            "SELECT dedup_key, state, attempts, payload FROM alert_deliveries "
            "WHERE subscription_id = 'crash'"
        )
        assert {r["state"] for r in rows} == {"delivered"}
        attempts = {r["dedup_key"]: r["attempts"] for r in rows}
        assert all(attempts[key] >= 2 for key in held_at_kill), attempts
        assert {json.loads(r["payload"])["territory_id"] for r in rows} == {
            *MID_DELIVERY,
            WHILE_DOWN,
        }
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await asyncio.to_thread(process.stop)
        await oncall.close()
        await crash.close()
        await db.close()
