"""Reporting fixtures: the real app in-process (httpx ASGITransport, lifespan started) against
the real database and broker, keys of every role, and counter rows written as the aggregator
writes them, then told to reporting: through its counters.changed.v1 handler called directly,
or announced on the topic (test_rollups)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr

from vigie.contract import topics
from vigie.platform.auth import create_key
from vigie_aggregator.notify import change_messages
from vigie_reporting.app import create_app
from vigie_reporting.changes import read_messages, record
from vigie_reporting.settings import ReportingSettings

ADMIN_TOKEN = "reporting-test-admin-token"
# Reference QPVs used by the tests: two in Saint-Denis (93, Île-de-France), one in the Ain.
LANDY = "QN09337M"  # Plaine - Landy - Bailly, 1,040 social dwellings
SEMARD = "QN09338M"  # Grand Centre - Sémard, 7,828 social dwellings
BOURG = "QN00101M"  # Grande Reyssouze Terre Des Fleurs (Ain, Auvergne-Rhône-Alpes)
NO_ALERTS_SERVICE = "http://127.0.0.1:9"  # nothing listens there: reporting must cope
# The embedded broker holds a new member's join for about half its session timeout (the start of
# every in-process reporting): 2 s keeps that to a second. A real Kafka refuses less than 6 s.
SESSION_TIMEOUT_MS = 6000 if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") else 2000


@dataclass
class Count:
    """One incident_counters row, its breakdowns consistent with `incidents`."""

    territory_id: str
    day: date
    category: str
    landlord_id: str
    incidents: int
    plainte: int = 0
    severity: int = 2
    target: str = "patrimoine"
    cost_eur: float = 0.0

    def row(self) -> tuple[Any, ...]:
        """Values in COUNTER_COLUMNS order."""
        severities = [self.incidents if s == self.severity else 0 for s in (1, 2, 3, 4)]
        targets = [
            self.incidents if t == self.target else 0
            for t in ("patrimoine", "personnel", "prestataire", "locataire", "autre")
        ]
        complaints = [self.plainte, 0, self.incidents - self.plainte, 0]
        return (
            self.territory_id,
            self.day,
            self.category,
            self.landlord_id,
            self.incidents,
            *severities,
            *targets,
            *complaints,
            self.cost_eur,
        )


COUNTER_COLUMNS = [
    "territory_id", "day", "category", "landlord_id", "incidents",
    "severity_1", "severity_2", "severity_3", "severity_4",
    "target_patrimoine", "target_personnel", "target_prestataire", "target_locataire",
    "target_autre",
    "complaint_plainte", "complaint_main_courante", "complaint_aucune", "complaint_inconnu",
    "cost_eur",
]  # fmt: skip


async def add_counts(db: asyncpg.Connection, counts: list[Count]) -> None:
    """Write counter rows (merged when they share a key, as the aggregator would count them)."""
    merged: dict[tuple[Any, ...], list[Any]] = {}
    for count in counts:
        row = list(count.row())
        key = tuple(row[:4])
        if key in merged:
            merged[key][4:] = [a + b for a, b in zip(merged[key][4:], row[4:], strict=True)]
        else:
            merged[key] = row
    await db.copy_records_to_table(
        "incident_counters", records=[tuple(r) for r in merged.values()], columns=COUNTER_COLUMNS
    )


async def publish(bootstrap: str, payloads: Iterable[bytes]) -> None:
    """Publish raw messages on counters.changed.v1 (no key, as the aggregator does)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for payload in payloads:
            await producer.send_and_wait(topics.COUNTERS_CHANGED, value=payload)
    finally:
        await producer.stop()


async def heard_until(
    db: asyncpg.Connection, committed_at: datetime, *, within: float = 20.0
) -> None:
    """Wait until reporting has recorded a message committed at `committed_at`."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        heard = await db.fetchval("SELECT committed_at FROM reporting_freshness")
        if heard is not None and heard >= committed_at:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"reporting did not hear the change committed at {committed_at}")


@dataclass
class Reporting:
    """The running app, a client, tokens of each role, and counter rows told to reporting."""

    client: httpx.AsyncClient
    db: asyncpg.Connection
    bootstrap: str
    _last_commit: datetime = field(default_factory=lambda: datetime.now(UTC))

    async def key(self, role: str, **scope: Any) -> str:
        """A new bearer token of a role."""
        _, token = await create_key(self.db, role=role, **scope)
        return token

    async def get(self, path: str, token: str = ADMIN_TOKEN, **params: Any) -> httpx.Response:
        """GET with a bearer token."""
        return await self.client.get(
            path, params=params, headers={"Authorization": f"Bearer {token}"}
        )

    async def add_counts(self, counts: list[Count]) -> None:
        """Write counter rows and have reporting record their days as its counters.changed.v1
        handler does, called directly (the topic's path: `announce_counts`)."""
        await add_counts(self.db, counts)
        await self.hear(pairs_of(counts))

    async def hear(self, pairs: list[tuple[str, date]]) -> None:
        """Have reporting's counters.changed.v1 handler record changed pairs (no broker)."""
        messages = change_messages(pairs, committed_at=self._next_commit())
        await record(self.db, read_messages(messages))

    async def announce_counts(self, counts: list[Count]) -> None:
        """Write counter rows, then announce them on counters.changed.v1 as the aggregator does
        after a batch; return once reporting has heard them."""
        await add_counts(self.db, counts)
        await self.announce(pairs_of(counts))

    async def announce(self, pairs: list[tuple[str, date]]) -> None:
        """Announce changed (territory, day) pairs on the topic, in the aggregator's own message
        format; return once reporting has recorded them."""
        at = self._next_commit()
        await publish(self.bootstrap, change_messages(pairs, committed_at=at))
        await heard_until(self.db, at)

    def _next_commit(self) -> datetime:
        # Commit times strictly increase (to the millisecond, as messages carry them), so that
        # waiting for one is not satisfied by an earlier one.
        at = max(datetime.now(UTC), self._last_commit + timedelta(milliseconds=1))
        self._last_commit = at.replace(microsecond=at.microsecond // 1000 * 1000)
        return self._last_commit


def pairs_of(counts: list[Count]) -> list[tuple[str, date]]:
    """The (territory, day) pairs counter rows change."""
    return [(c.territory_id, c.day) for c in counts]


@asynccontextmanager
async def running_reporting(
    *,
    database_url: str,
    kafka_bootstrap: str,
    db: asyncpg.Connection,
    alerts_url: str,
    group_id: str = "reporting",
) -> AsyncIterator[Reporting]:
    """The reporting app with its lifespan started, and a client to it."""
    settings = ReportingSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        admin_token=SecretStr(ADMIN_TOKEN),
        alerts_url=alerts_url,
        pool_size=4,
        group_id=group_id,
        session_timeout_ms=SESSION_TIMEOUT_MS,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as client:
            yield Reporting(client=client, db=db, bootstrap=kafka_bootstrap)


@pytest.fixture
async def reporting(
    database_url: str, kafka_bootstrap: str, db: asyncpg.Connection
) -> AsyncIterator[Reporting]:
    """The reporting app on a fresh database, its lifespan running, no alerts service."""
    async with running_reporting(
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        db=db,
        alerts_url=NO_ALERTS_SERVICE,
    ) as running:
        yield running
