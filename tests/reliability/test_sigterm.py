"""SIGTERM under load, as a rolling update sends it: two aggregators and one of each other
service as separate processes on the local broker and database; one aggregator is stopped
mid-stream, then intake under load (and started again). Every event intake accepted is counted
once, the events it refused while draining (503) are sent again with the same event_id and
counted once, and the stopped processes exit 0 within their grace periods (deploy/)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
import pytest

from tests.support.aggregator import eventually, model_counters, stored_counters
from tests.support.intake import ADMIN_TOKEN, incident
from tests.support.load import IntakeLoad
from vigie.platform.service_process import ServiceProcess

pytestmark = [pytest.mark.connected, pytest.mark.e2e]
EVENTS = 3_000
# The grace periods of deploy/ (compose stop_grace_period, terminationGracePeriodSeconds).
GRACE_S = {"intake": 30.0, "aggregator": 60.0}


async def stop_with_sigterm(service: ServiceProcess, *, grace_s: float) -> tuple[int, float]:
    """SIGTERM, then wait for the exit: (status, seconds taken)."""
    started = time.monotonic()
    service.terminate()
    status = await asyncio.to_thread(service.wait, timeout=grace_s)
    return status, time.monotonic() - started


async def test_sigterm_to_an_aggregator_and_to_intake_loses_and_doubles_nothing(
    kafka_bootstrap: str, database_url: str, db: asyncpg.Connection, tmp_path: Path
) -> None:
    logs = tmp_path / "services"
    logs.mkdir()
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": database_url,
        "VIGIE_ADMIN_TOKEN": ADMIN_TOKEN,
        "VIGIE_DATA_DIR": str(tmp_path / "data"),
        "VIGIE_DRAIN_S": "1",
        "AGGREGATOR_SESSION_TIMEOUT_MS": "6000",
        # The load is one key's: its rate limit (200/s) is not what this test is about, and an
        # idle machine sends faster than that.
        "INTAKE_RATE_PER_S": "100000",
        "INTAKE_RATE_BURST": "100000",
    }

    def vigie(name: str, **extra: str) -> ServiceProcess:
        log_file = logs / f"{name}{extra.get('VIGIE_REPLICA', '')}.log"
        return ServiceProcess.vigie(name, env={**env, **extra}, log_file=log_file)

    aggregators = [vigie("aggregator", VIGIE_REPLICA=str(replica)) for replica in (0, 1)]
    alerts = vigie("alerts")
    reporting = vigie("reporting", VIGIE_ALERTS_URL=alerts.url)
    intake = vigie("intake")
    services = [*aggregators, alerts, reporting, intake]
    load = IntakeLoad(intake.url, token=ADMIN_TOKEN)
    events = [incident() for _ in range(EVENTS)]
    sending: asyncio.Task[None] | None = None
    try:
        for service in services:
            await asyncio.to_thread(service.start_ready, timeout=60)
        sending = asyncio.create_task(load.send(events, deadline_s=240))

        assert await load.wait_accepted(EVENTS // 4, within=120)
        status, aggregator_s = await stop_with_sigterm(
            aggregators[0], grace_s=GRACE_S["aggregator"]
        )
        assert status == 0

        assert await load.wait_accepted(EVENTS // 2, within=120)
        in_flight = load.in_flight
        status, intake_s = await stop_with_sigterm(intake, grace_s=GRACE_S["intake"])
        assert status == 0
        await asyncio.to_thread(intake.start_ready, timeout=60)
        await sending

        expected = model_counters(load.accepted.values())

        async def counted() -> bool:
            return await stored_counters(db) == expected

        assert await eventually(counted, within=120)
    finally:
        if sending is not None:
            sending.cancel()
        for service in services:
            service.stop()
    assert len(load.accepted) == EVENTS  # every event accepted once, retried until then
    assert load.unexpected == {}
    # The stopped aggregator finished its batch in flight and committed its offsets.
    stopped_log = (logs / "aggregator0.log").read_text()
    assert "consumer loop stopped after its last batch" in stopped_log
    assert "abandoned" not in stopped_log
    print(
        f"\naggregator stopped in {aggregator_s:.1f} s, intake in {intake_s:.1f} s "
        f"({in_flight} requests in flight at SIGTERM); intake answered 503 {load.refused} times, "
        f"connections failed {load.unreachable} times; {len(load.accepted)} events counted once"
    )
