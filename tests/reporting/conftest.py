"""Reporting fixtures: the real app in-process (httpx ASGITransport, lifespan started) against
the real database, keys of every role, and counter rows written as the aggregator would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from vigie.platform.auth import create_key
from vigie_reporting.app import create_app
from vigie_reporting.settings import ReportingSettings

ADMIN_TOKEN = "reporting-test-admin-token"
# Reference QPVs used by the tests: two in Saint-Denis (93, Île-de-France), one in the Ain.
LANDY = "QN09337M"  # Plaine - Landy - Bailly, 1,040 social dwellings
SEMARD = "QN09338M"  # Grand Centre - Sémard, 7,828 social dwellings
BOURG = "QN00101M"  # Grande Reyssouze Terre Des Fleurs (Ain, Auvergne-Rhône-Alpes)
NO_ALERTS_SERVICE = "http://127.0.0.1:9"  # nothing listens there: reporting must cope


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


@dataclass
class Reporting:
    """The running app, a client, and tokens of each role."""

    client: httpx.AsyncClient
    db: asyncpg.Connection

    async def key(self, role: str, **scope: Any) -> str:
        """A new bearer token of a role."""
        _, token = await create_key(self.db, role=role, **scope)
        return token

    async def get(self, path: str, token: str = ADMIN_TOKEN, **params: Any) -> httpx.Response:
        """GET with a bearer token."""
        return await self.client.get(
            path, params=params, headers={"Authorization": f"Bearer {token}"}
        )


@asynccontextmanager
async def running_reporting(
    *, database_url: str, kafka_bootstrap: str, db: asyncpg.Connection, alerts_url: str
) -> AsyncIterator[Reporting]:
    """The reporting app with its lifespan started, and a client to it."""
    settings = ReportingSettings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        admin_token=SecretStr(ADMIN_TOKEN),
        alerts_url=alerts_url,
        pool_size=4,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as client:
            yield Reporting(client=client, db=db)


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
