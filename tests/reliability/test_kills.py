"""SIGKILL (a crash, an OOM kill) of the aggregator, of alerts and of intake at random moments
under load: each is started again, and in the end every event intake accepted (202) is counted
exactly once, none lost, none doubled. Events whose request was cut by a killed intake are sent
again with the same event_id, as a client must. A few kills by default, 120 with `--long`."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from pathlib import Path

import asyncpg
import pytest

from tests.reliability.conftest import Scale
from tests.support.faults import System, counted_exactly, varied_events
from tests.support.intake import ADMIN_TOKEN
from tests.support.load import IntakeLoad

pytestmark = [pytest.mark.connected, pytest.mark.e2e, pytest.mark.timeout(7200)]
VICTIMS = ("aggregator", "alerts", "intake")


@pytest.mark.usefixtures("kafka_bootstrap")
async def test_sigkill_at_random_moments_loses_and_doubles_nothing(
    kafka_bootstrap: str, database_url: str, db: asyncpg.Connection, tmp_path: Path, scale: Scale
) -> None:
    seed = time.time_ns()
    rng = random.Random(seed)
    system = System(kafka=kafka_bootstrap, database_url=database_url, tmp_path=tmp_path)
    kills: Counter[str] = Counter()
    with system.running():
        load = IntakeLoad(system["intake"].url, token=ADMIN_TOKEN)

        async def chaos() -> None:
            for number in range(scale.kills):
                # Each victim in turn first, then at random; at a random moment of the load.
                victim = VICTIMS[number] if number < len(VICTIMS) else rng.choice(VICTIMS)
                await asyncio.sleep(rng.uniform(0.1, 1.5))
                await system.restart_after_kill(victim)
                kills[victim] += 1

        killing = asyncio.create_task(chaos())
        rounds = 0
        while not killing.done() or rounds == 0:
            # The load goes on, round after round, until the last kill.
            await load.send(varied_events(scale.events, rng), deadline_s=600)
            rounds += 1
        await killing
        assert await counted_exactly(db, load, within=180), f"seed {seed}"
    assert load.unexpected == {}, f"seed {seed}"
    assert sum(kills.values()) == scale.kills
    print(
        f"\n{sum(kills.values())} SIGKILLs survived ({dict(kills)}), seed {seed}; "
        f"{len(load.accepted)} events accepted in {rounds} round(s), each counted once "
        f"(0 lost, 0 doubled); intake answered 503 {load.refused} times, connections failed "
        f"{load.unreachable} times"
    )
