"""`vigie run` supervises the embedded broker and PostgreSQL like its services: each is killed
with SIGKILL, restarted by the supervisor (the dead process reaped, the topics created again on
the new, empty broker), every service becomes ready again by itself, and an event accepted
afterwards is counted exactly once. Meanwhile intake answers 503 with Retry-After, never 500."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from tests.support.aggregator import eventually
from tests.support.intake import bearer, incident
from tests.support.vigie_run import VigieRun, all_ready

pytestmark = [pytest.mark.e2e, pytest.mark.connected]


async def post_until_accepted(url: str, token: str, event: dict[str, object]) -> list[int]:
    """POST the event until intake answers 202 (two minutes at most); every status seen."""
    statuses: list[int] = []
    async with httpx.AsyncClient(base_url=url, timeout=10, trust_env=False) as client:
        for _ in range(600):
            try:
                response = await client.post("/v1/incidents", json=event, headers=bearer(token))
            except httpx.TransportError:
                await asyncio.sleep(0.2)
                continue
            statuses.append(response.status_code)
            if response.status_code == 202:
                return statuses
            if response.status_code == 503:
                assert "Retry-After" in response.headers, response.text
            await asyncio.sleep(0.2)
    raise AssertionError(f"never accepted: {statuses[-5:]}")


async def times_counted(dsn: str, incident_id: str) -> int:
    """How many counted incidents carry this id (0 or 1 when nothing is doubled)."""
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM incidents WHERE incident_id = $1", incident_id
            )
        )
    finally:
        await conn.close()


async def counted_once(dsn: str, incident_id: str) -> bool:
    try:
        return await times_counted(dsn, incident_id) == 1
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False  # the database is still coming back


async def wait_restarted(run: VigieRun, name: str, old_pid: int) -> int:
    async def replaced() -> bool:
        return run.pid(name) != old_pid

    assert await eventually(replaced, within=60), f"{name} was not restarted\n{run.output()}"
    return run.pid(name)


async def test_killed_broker_and_database_are_restarted_and_the_system_recovers(
    tmp_path: Path,
) -> None:
    run = VigieRun(tmp_path / "data")
    try:
        started = run.start()
        services: dict[str, str] = started["services"]
        dsn: str = started["database_url"]
        token = run.token()
        intake = services["intake"]

        for server in ("broker", "postgres"):
            old = run.pid(server)
            os.kill(old, signal.SIGKILL)
            # While it is down (or restarting), intake refuses with 503 and Retry-After, no 500.
            statuses = await post_until_accepted(intake, token, event := incident())
            assert 500 not in statuses, statuses
            await wait_restarted(run, server, old)
            # The dead process was reaped: no zombie left under the supervisor.
            assert not psutil.pid_exists(old) or psutil.Process(old).status() != "zombie"

            async def ready() -> bool:
                return await asyncio.to_thread(all_ready, services)

            assert await eventually(ready, within=120), f"not ready after {server}\n{run.output()}"
            # A new event is counted once (the one sent during the outage too, when it was
            # accepted after the restart: for the broker, accepted means on the new broker).
            after = incident()
            assert 500 not in await post_until_accepted(intake, token, after)

            counted = await eventually(
                lambda: counted_once(dsn, after["incident_id"]),  # noqa: B023 (awaited here)
                within=120,
            )
            assert counted, f"after {server}: not counted"
            assert await times_counted(dsn, event["incident_id"]) == 1
    finally:
        status = run.stop()
    assert status == 0, run.output()
    assert "broker exited" in run.output()
    assert "postgres exited" in run.output()
