"""Alert notifications while the alerts process is killed with SIGKILL at random moments, an
incident stream opening and escalating alerts over many territories meanwhile: every change of
every alert reaches each subscription (none lost), and none is delivered twice to the same
subscription, except one the webhook answered 2xx whose recording the kill itself cut short
(at-least-once over HTTP; the X-Vigie-Delivery key lets the receiver drop it). Those are
counted, and each must have been answered-but-unrecorded at a kill."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.reliability.conftest import Scale
from tests.support.aggregator import eventually
from tests.support.alerts_process import ADMIN_TOKEN, HoldingReceiver, incident, service_env
from vigie.platform.service_process import ServiceProcess

pytestmark = [pytest.mark.connected, pytest.mark.e2e, pytest.mark.timeout(3600)]
SECRET = "a-webhook-secret-of-some-length"
SUBSCRIPTIONS = ("oncall", "partner")


async def delivered_keys(db: asyncpg.Connection, subscription: str) -> set[str]:
    rows = await db.fetch(
        "SELECT dedup_key FROM alert_deliveries WHERE subscription_id = $1 AND state = 'delivered'",
        subscription,
    )
    return {row["dedup_key"] for row in rows}


async def test_alert_changes_survive_sigkills_of_alerts_none_lost_none_doubled(
    kafka_bootstrap: str, database_url: str, db: asyncpg.Connection, tmp_path: Path, scale: Scale
) -> None:
    rng = random.Random(8083)
    territories = [
        row["territory_id"]
        for row in await db.fetch(
            "SELECT territory_id FROM territories WHERE kind = 'qpv' ORDER BY territory_id LIMIT 24"
        )
    ]
    env = service_env(
        kafka_bootstrap=kafka_bootstrap, database_url=database_url, data_dir=tmp_path / "data"
    )
    logs = tmp_path / "logs"
    intake = ServiceProcess.vigie("intake", env=env, log_file=logs / "intake.log")
    aggregator = ServiceProcess.vigie("aggregator", env=env, log_file=logs / "aggregator.log")
    alerts = ServiceProcess.vigie(
        "alerts",
        env={**env, "ALERTS_DELIVERY_LEASE_S": "2", "ALERTS_RETRY_BASE_S": "0.2"},
        log_file=logs / "alerts.log",
    )
    receivers = {name: HoldingReceiver(secret=SECRET) for name in SUBSCRIPTIONS}
    processes = (intake, aggregator, alerts)
    allowed_twice: dict[str, set[str]] = {name: set() for name in SUBSCRIPTIONS}
    kills = scale.kills
    posted = 0
    try:
        await asyncio.gather(*(asyncio.to_thread(p.start_ready, timeout=90) for p in processes))
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with httpx.AsyncClient(headers=headers, timeout=10, trust_env=False) as http:
            rule = {
                "name": "Agressions du personnel",
                "scope": {"territory_ids": territories},
                "selector": {"categories": ["PER-PHY"], "targets": ["personnel"]},
                "window_days": 7,
                "levels": {"alerte": 1, "critique": 3},
            }
            response = await http.put(f"{alerts.url}/v1/rules/staff", json=rule)
            assert response.status_code == 201, response.text
            for name, receiver in receivers.items():
                body = {"url": await receiver.start(), "secret": SECRET}
                response = await http.put(f"{alerts.url}/v1/subscriptions/{name}", json=body)
                assert response.status_code == 201, response.text

            async def stream() -> None:
                # Incidents one after another: alerts open (1st) and escalate (3rd).
                nonlocal posted
                for territory_id in rng.sample(territories, len(territories)) * 3:
                    event = incident(territory_id, landlord_id="bailleur-fiabilite")
                    for _ in range(600):
                        try:
                            answer = await http.post(f"{intake.url}/v1/incidents", json=event)
                        except httpx.TransportError:
                            answer = None
                        if answer is not None and answer.status_code == 202:
                            break
                        await asyncio.sleep(0.1)
                    posted += 1
                    await asyncio.sleep(rng.uniform(0.0, 0.2))

            streaming = asyncio.create_task(stream())
            for _ in range(kills):
                await asyncio.sleep(rng.uniform(0.5, 2.5))
                await asyncio.to_thread(alerts.kill)
                # Dead now: what a receiver answered but the database does not hold as
                # delivered may rightly come again.
                for name, receiver in receivers.items():
                    recorded = await delivered_keys(db, name)
                    allowed_twice[name] |= set(receiver.answered_keys()) - recorded
                await asyncio.to_thread(alerts.start_ready, timeout=90)
            await streaming

        async def all_delivered() -> bool:
            rows = await db.fetch("SELECT alert_id, changes FROM alerts")
            keys = {f"{r['alert_id']}:{n}" for r in rows for n in range(1, r["changes"] + 1)}
            return len(rows) == len(territories) and all(
                set(receiver.answered_keys()) == keys for receiver in receivers.values()
            )

        assert await eventually(all_delivered, within=180)
        await asyncio.sleep(3.0)  # a lease (2 s) wrongly left to run out would resend now
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await asyncio.to_thread(process.stop)
        for receiver in receivers.values():
            await receiver.close()
    doubled = 0
    for name, receiver in receivers.items():
        twice = {key for key, n in Counter(receiver.answered_keys()).items() if n > 1}
        assert twice <= allowed_twice[name], (name, twice - allowed_twice[name])
        assert all(r.signature_valid for r in receiver.answered)
        doubled += len(twice)
    changes = len(set(receivers["oncall"].answered_keys()))
    print(
        f"\nalerts killed {kills} times; {posted} incidents; {changes} alert changes delivered "
        f"to each of {len(receivers)} subscriptions, 0 lost; {doubled} sent again after a kill "
        f"cut their recording short, 0 otherwise"
    )
