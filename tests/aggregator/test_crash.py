"""kill -9 at random moments while a producer sends 20,000 events: counts end exact."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import asyncpg
import pytest

from tests.support.aggregator import (
    event_bytes,
    event_key,
    eventually,
    model_counters,
    produce,
    random_scenario,
    stored_counters,
)
from tests.support.aggregator_process import AggregatorProcess, service_env

pytestmark = [pytest.mark.connected, pytest.mark.e2e]
EVENTS = 20_000
KILLS = 5


async def test_counts_are_exact_after_repeated_sigkill(
    kafka_bootstrap: str, database_url: str, db: asyncpg.Connection, tmp_path: Path
) -> None:
    """The producer keeps sending while the aggregator is killed and restarted five times."""
    rng = random.Random(20)
    events = random_scenario(rng, incidents=11_500, duplicate_ratio=0.1)[:EVENTS]
    assert len(events) == EVENTS
    messages = [(event_key(e), event_bytes(e)) for e in events]
    aggregator = AggregatorProcess(
        env=service_env(kafka_bootstrap, database_url, tmp_path), log_dir=tmp_path / "logs"
    )
    aggregator.start()
    kills_done = asyncio.Event()

    async def producer() -> None:
        # The last events wait for the last kill: every kill lands while the producer sends,
        # however slow restarts are on a busy machine.
        await produce(kafka_bootstrap, messages[:-1000], rate_per_s=500)
        await kills_done.wait()
        await produce(kafka_bootstrap, messages[-1000:], rate_per_s=500)

    producing = asyncio.create_task(producer())
    killed_while_producing: list[bool] = []
    try:
        for _ in range(KILLS):
            # Kill only once this incarnation owns partitions (the group first rebalances),
            # at a random moment of its batch loop.
            assert await eventually(lambda: _consuming(aggregator), within=30)
            await asyncio.sleep(rng.uniform(0.05, 1.5))
            killed_while_producing.append(not producing.done())
            aggregator.kill()
            await asyncio.to_thread(aggregator.start)
        kills_done.set()
        await producing
        expected = model_counters(events)
        assert await eventually(lambda: _equal(db, expected), within=60)
    finally:
        producing.cancel()
        aggregator.stop()
    assert aggregator.starts == KILLS + 1
    assert all(killed_while_producing)


async def _equal(db: asyncpg.Connection, expected: object) -> bool:
    return await stored_counters(db) == expected


async def _consuming(process: AggregatorProcess) -> bool:
    owned = await asyncio.to_thread(process.metric, "vigie_aggregator_assigned_partitions")
    return owned > 0
