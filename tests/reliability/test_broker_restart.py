"""The broker stopped and started again (the embedded one is memory only: it comes back empty,
and the topics are created again, as `vigie run` does). While it is down intake answers 503 with
Retry-After and readiness says why; afterwards every service reconnects by itself, and every
event accepted after the restart is counted exactly once, as is every event counted before."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.reliability.conftest import Scale
from tests.support.aggregator import eventually
from tests.support.faults import System, counted_exactly, varied_events
from tests.support.intake import ADMIN, ADMIN_TOKEN, incident
from tests.support.load import IntakeLoad
from vigie.platform.kafka import ensure_topics
from vigie.platform.service_process import ready_reason
from vigie_devtools.broker import EmbeddedBroker

pytestmark = [pytest.mark.connected, pytest.mark.e2e, pytest.mark.timeout(3600)]


async def every_service(system: System, *, ready: bool) -> bool:
    reasons = await asyncio.gather(
        *(asyncio.to_thread(ready_reason, s.url) for s in system.services.values())
    )
    if ready:
        return all(reason is None for reason in reasons)
    return all(reason is not None for reason in reasons)


# A known failure of the final main of 2 Dec 2026 (three runs out of three, idle and busy): after
# the embedded broker's restart every service is ready again, but the stored counters did not
# equal the model of the accepted events within 180 s; the same test passed earlier that night.
# Likely cause, not yet proven: the restarted broker is empty and numbers its offsets from 0 again,
# while a consumer keeps its in-memory position from the old broker; when intake refills a
# partition past that position before the consumer's first fetch (an idle machine sends fast),
# the fetch is in range and the new partition's first messages are skipped. A consumer must
# treat a new broker (cluster id, or the supervisor restarting consumers with it) as a reset.
# Kept running (not strict), so that the fix shows as XPASS; see the closing note of that day.
@pytest.mark.xfail(
    reason="counts not exact within 180 s after the embedded broker's restart (under study)",
    strict=False,
)
async def test_broker_stopped_and_restarted_every_service_reconnects(
    embedded_broker: EmbeddedBroker,
    database_url: str,
    db: asyncpg.Connection,
    tmp_path: Path,
    scale: Scale,
) -> None:
    rng = random.Random(9092)
    bootstrap = embedded_broker.bootstrap_servers
    await ensure_topics(bootstrap, partitions=4)
    system = System(kafka=bootstrap, database_url=database_url, tmp_path=tmp_path)
    load = IntakeLoad(system["intake"].url, token=ADMIN_TOKEN)
    with system.running():
        await load.send(varied_events(scale.events // 2, rng), deadline_s=300)
        assert await counted_exactly(db, load, within=120)

        embedded_broker.stop()
        async with httpx.AsyncClient(
            base_url=system["intake"].url, timeout=30, trust_env=False
        ) as client:
            probe = incident()
            refused = await client.post("/v1/incidents", json=probe, headers=ADMIN)
        assert refused.status_code == 503, refused.text
        assert int(refused.headers["Retry-After"]) > 0
        assert await eventually(lambda: every_service(system, ready=False), within=60)

        # Sent while the broker is down: refused (503) and retried until it is back, the probe
        # too: a 503 does not say the event was not published (the producer may still deliver
        # it once the broker is back), so a client sends it again, same event_id, as these do.
        after = [probe, *varied_events(scale.events // 2, rng)]
        sending = asyncio.create_task(load.send(after, deadline_s=900))
        try:
            await asyncio.sleep(scale.outage_s)
            embedded_broker.start()
            await ensure_topics(bootstrap, partitions=4)
            await sending
        finally:
            sending.cancel()
        back = await eventually(lambda: every_service(system, ready=True), within=120)
        assert back, await asyncio.gather(
            *(asyncio.to_thread(ready_reason, s.url) for s in system.services.values())
        )
        assert await counted_exactly(db, load, within=180)
    assert all(event["event_id"] in load.accepted for event in after)
    assert load.unexpected == {}
    print(
        f"\nbroker down {scale.outage_s:.0f} s: intake answered 503 {load.refused} times; "
        f"{len(load.accepted)} events counted once, {len(after)} of them after the restart"
    )
