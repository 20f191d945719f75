"""PostgreSQL faults under load, on a server of the test's own (the session's is shared): the
server killed with SIGKILL then restarted, and stopped then started, mid-stream; then a database
that refuses writes for a while. Meanwhile each service answers 503 with Retry-After naming the
database (never 500), readiness says why, the aggregator commits no offset past what it could
not store; afterwards everything recovers by itself and every accepted event is counted once."""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.reliability.conftest import Scale
from tests.support.aggregator import eventually
from tests.support.faults import System, counted_exactly, varied_events
from tests.support.intake import ADMIN, ADMIN_TOKEN, bearer, incident
from tests.support.load import IntakeLoad
from vigie.platform.auth.keys import create_key
from vigie.platform.migrate import apply_migrations
from vigie.platform.service_process import ready_reason
from vigie.platform.territories import parse_territories, reference_csv
from vigie.platform.territory_store import store_territories
from vigie_devtools.postgres import EmbeddedPostgres

pytestmark = [pytest.mark.connected, pytest.mark.e2e, pytest.mark.timeout(3600)]
# An admin session that writes even while the server's default is read-only.
WRITABLE = {"default_transaction_read_only": "off"}


@pytest.fixture
async def own_postgres(tmp_path: Path) -> AsyncIterator[EmbeddedPostgres]:
    """A PostgreSQL server for this test alone, migrated, with the reference territories."""
    server = EmbeddedPostgres(tmp_path / "pg")
    server.start()  # from the main thread, which its parent-death signal follows
    conn = await asyncpg.connect(server.url)
    try:
        await apply_migrations(conn)
        await store_territories(conn, parse_territories(reference_csv()))
    finally:
        await conn.close()
    yield server
    server.stop()


async def refused_for_the_database(url: str, path: str) -> httpx.Response:
    """A GET a client waits for, while the database is down: the answer (asserted 503)."""
    async with httpx.AsyncClient(base_url=url, timeout=10, trust_env=False) as client:
        return await client.get(path, headers=ADMIN)


def assert_database_503(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    body = response.json()
    assert body["error"] == "database_unavailable"
    assert reason in body["detail"]


async def not_ready_because(url: str, words: str) -> bool:
    reason = await asyncio.to_thread(ready_reason, url)
    return reason is not None and words in reason


async def all_ready(system: System) -> bool:
    reasons = await asyncio.gather(
        *(asyncio.to_thread(ready_reason, s.url) for s in system.services.values())
    )
    return all(reason is None for reason in reasons)


async def test_postgres_killed_and_restarted_mid_stream(
    kafka_bootstrap: str, own_postgres: EmbeddedPostgres, tmp_path: Path, scale: Scale
) -> None:
    rng = random.Random(13)
    system = System(kafka=kafka_bootstrap, database_url=own_postgres.url, tmp_path=tmp_path)
    events = varied_events(scale.events, rng)
    load = IntakeLoad(system["intake"].url, token=ADMIN_TOKEN)
    conn = await asyncpg.connect(own_postgres.url)
    try:  # a landlord's key, never used yet: intake must read it from the database
        _, landlord_token = await create_key(conn, role="landlord", landlord_id="HLM-93")
    finally:
        await conn.close()
    with system.running():
        sending = asyncio.create_task(load.send(events, deadline_s=900))
        try:
            assert await load.wait_accepted(len(events) // 3, within=300)
            assert own_postgres.pid is not None
            os.kill(own_postgres.pid, signal.SIGKILL)
            # The report of the issue: intake answered 500 to a landlord's post; now 503.
            async with httpx.AsyncClient(
                base_url=system["intake"].url, timeout=30, trust_env=False
            ) as client:
                response = await client.post(
                    "/v1/incidents",
                    json=incident(landlord_id="HLM-93"),
                    headers=bearer(landlord_token),
                )
            assert_database_503(response, "unreachable")
            # Down: a client waiting on alerts gets 503 naming the database; not ready.
            assert_database_503(
                await refused_for_the_database(system["alerts"].url, "/v1/alerts?limit=1"),
                "unreachable",
            )
            assert await eventually(
                lambda: not_ready_because(system["aggregator"].url, "database"), within=30
            )
            await asyncio.sleep(scale.outage_s)  # the load goes on meanwhile
            own_postgres.restart()

            assert await load.wait_accepted(2 * len(events) // 3, within=300)
            own_postgres.stop()  # a clean restart too (fast shutdown: sessions cut)
            await asyncio.sleep(scale.outage_s)
            own_postgres.start()
            await sending
        finally:
            sending.cancel()
        db = await asyncpg.connect(own_postgres.url)
        try:
            assert await counted_exactly(db, load, within=180)
        finally:
            await db.close()
        assert await eventually(lambda: all_ready(system), within=60)
    assert len(load.accepted) == len(events)
    assert load.unexpected == {}  # intake never answered 500 (nor anything unexpected)
    for name in system.services:
        assert "unexpected error" not in system.log(name), name
    print(f"\nPostgreSQL killed and restarted, then restarted cleanly: {len(events)} counted once")


def batches_finished(aggregator_url: str) -> float:
    """Batches the aggregator finished: stored, announced, offsets committed (the metric is
    observed after the commit). The admin client's OffsetFetch does not parse on the embedded
    broker, hence the metric."""
    text = httpx.get(f"{aggregator_url}/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith("vigie_aggregator_batch_records_count"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_a_database_refusing_writes_loses_nothing_and_recovers_by_itself(
    kafka_bootstrap: str, own_postgres: EmbeddedPostgres, tmp_path: Path, scale: Scale
) -> None:
    rng = random.Random(25006)
    system = System(kafka=kafka_bootstrap, database_url=own_postgres.url, tmp_path=tmp_path)
    events = varied_events(scale.events, rng)
    load = IntakeLoad(system["intake"].url, token=ADMIN_TOKEN)
    admin = await asyncpg.connect(own_postgres.url, server_settings=WRITABLE)
    with system.running():
        sending = asyncio.create_task(load.send(events, deadline_s=900))
        try:
            assert await load.wait_accepted(len(events) // 3, within=300)
            await admin.execute("ALTER SYSTEM SET default_transaction_read_only = on")
            await admin.execute("SELECT pg_reload_conf()")
            assert await eventually(
                lambda: not_ready_because(system["aggregator"].url, "read-only"), within=30
            )
            # A write a client waits for: 503, Retry-After, the database named.
            async with httpx.AsyncClient(
                base_url=system["alerts"].url, timeout=10, trust_env=False
            ) as client:
                response = await client.put(
                    "/v1/silences/reliability",
                    json={
                        "territory_id": "QN09302M",
                        "ends_at": "2099-01-01T00:00:00Z",
                        "reason": "test",
                    },
                    headers=ADMIN,
                )
            assert_database_503(response, "read-only")
            await asyncio.sleep(1.0)  # a batch that began before the switch has finished
            before = batches_finished(system["aggregator"].url)
            await asyncio.sleep(scale.outage_s)
            # Nothing stored, so no offset committed: the refused batch waits to be retried.
            assert batches_finished(system["aggregator"].url) == before
            await admin.execute("ALTER SYSTEM RESET default_transaction_read_only")
            await admin.execute("SELECT pg_reload_conf()")
            await sending
        finally:
            sending.cancel()
        assert await counted_exactly(admin, load, within=180)
        assert await eventually(lambda: all_ready(system), within=60)
    await admin.close()
    assert len(load.accepted) == len(events)
    assert load.unexpected == {}
    assert "ReadOnlySQLTransactionError" in system.log("aggregator")  # refused, then retried
    print(f"\nwrites refused for {scale.outage_s:.0f} s: {len(events)} events counted once")
