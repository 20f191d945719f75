"""The reliability suite's system under test: the four services as separate processes on a
broker and a database the test controls, a load through intake, and the exact-count check of
what the aggregator stored against a model of what intake accepted (202)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg

from tests.support.aggregator import eventually, model_counters, stored_counters
from tests.support.intake import ADMIN_TOKEN, incident
from tests.support.load import IntakeLoad
from vigie.platform.service_process import ServiceProcess

SERVICES = ("aggregator", "alerts", "reporting", "intake")
# Real territories and categories, so that counters spread over several rows.
TERRITORIES = ("QN09302M", "QN00101M")
CATEGORIES = ("BIE-TAG", "BIE-DEG", "PER-PHY", "PER-VER")


class System:
    """One process per service, each restartable at its address (kill -9, start again)."""

    def __init__(self, *, kafka: str, database_url: str, tmp_path: Path) -> None:
        self.logs = tmp_path / "services"
        self.logs.mkdir(exist_ok=True)
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            "DATABASE_URL": database_url,
            "VIGIE_ADMIN_TOKEN": ADMIN_TOKEN,
            "VIGIE_DATA_DIR": str(tmp_path / "data"),
            "VIGIE_DRAIN_S": "1",
            "AGGREGATOR_SESSION_TIMEOUT_MS": "6000",
            # One key sends the whole load: its rate limit is not what these tests are about.
            "INTAKE_RATE_PER_S": "100000",
            "INTAKE_RATE_BURST": "100000",
        }
        self.services: dict[str, ServiceProcess] = {}
        for name in SERVICES:
            extra = {"VIGIE_ALERTS_URL": self.services["alerts"].url} if name == "reporting" else {}
            self.services[name] = ServiceProcess.vigie(
                name, env={**env, **extra}, log_file=self.logs / f"{name}.log"
            )

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    def log(self, name: str) -> str:
        """A service's log so far (every run of it)."""
        return self.services[name].log_file.read_text(errors="replace")

    @contextmanager
    def running(self) -> Iterator[System]:
        """Every service started and ready in the block, stopped after."""
        try:
            for service in self.services.values():
                service.start_ready(timeout=90)
            yield self
        finally:
            for service in self.services.values():
                service.stop()

    async def restart_after_kill(self, name: str) -> None:
        """SIGKILL the service (no shutdown code runs), then start it again and wait until
        ready."""
        service = self.services[name]
        service.kill()
        await asyncio.to_thread(service.start_ready, timeout=120)


def varied_events(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """New incidents over two territories and four categories, with one in ten followed by a
    second revision (the model keeps the highest revision, as the aggregator must)."""
    events: list[dict[str, Any]] = []
    while len(events) < count:
        event = incident(territory_id=rng.choice(TERRITORIES), category=rng.choice(CATEGORIES))
        events.append(event)
        if rng.random() < 0.1 and len(events) < count:
            events.append({**event, "event_id": str(uuid.uuid4()), "revision": 2, "severity": 4})
    return events


async def counted_exactly(db: asyncpg.Connection, load: IntakeLoad, *, within: float) -> bool:
    """Whether the stored counters become exactly the model of every accepted event."""
    expected = model_counters(load.accepted.values())

    async def matches() -> bool:
        return await stored_counters(db) == expected

    return await eventually(matches, within=within)


async def counted_total(db: asyncpg.Connection) -> int:
    """Every incident counted, all rows together."""
    return int(await db.fetchval("SELECT coalesce(sum(incidents), 0) FROM incident_counters"))
