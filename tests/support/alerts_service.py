"""The alerts app served for real (uvicorn on a free port, in the test's event loop) against
the real database and broker, with a clock the test moves; counter rows written as the
aggregator writes them, and counters.changed.v1 messages announcing them. Also what the tests
read back: the notification outbox, the alerts.v1 topic, and the live stream (SSE)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from fastapi import FastAPI
from pydantic import SecretStr

from tests.support.alerts import WAIT_S, ManualClock, Received, WebhookReceiver
from vigie.contract import topics
from vigie.platform.auth import create_key
from vigie.platform.processes import free_port
from vigie_alerts.app import create_app
from vigie_alerts.runtime import AlertsRuntime
from vigie_alerts.settings import AlertsSettings
from vigie_alerts.sweep import Sweeper

ADMIN_TOKEN = "alerts-test-admin-token"
# A Wednesday noon in Paris: windows end on this day.
NOW = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)

_TARGETS = ("patrimoine", "personnel", "prestataire", "locataire", "autre")


@dataclass
class AlertsService:
    """A running alerts app: its URL, its clock, the database, and helpers to drive it."""

    url: str
    app: FastAPI
    clock: ManualClock
    db: asyncpg.Pool
    database_url: str
    bootstrap: str
    producer: AIOKafkaProducer

    def client(self, token: str = ADMIN_TOKEN) -> httpx.AsyncClient:
        """An HTTP client with a bearer token."""
        return httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )

    async def key(self, role: str, **scope: Any) -> str:
        """A new key's token."""
        conn = await asyncpg.connect(self.database_url)
        try:
            _, token = await create_key(conn, role=role, **scope)
        finally:
            await conn.close()
        return token

    @property
    def runtime(self) -> AlertsRuntime:
        """What the app's request handlers use (pool, evaluator, clock…)."""
        runtime = self.app.state.runtime
        assert isinstance(runtime, AlertsRuntime)
        return runtime

    @property
    def sweeper(self) -> Sweeper:
        """The app's sweeper, to sweep when the test says."""
        sweeper = self.app.state.sweeper
        assert isinstance(sweeper, Sweeper)
        return sweeper

    async def advance(self, delta: timedelta) -> None:
        """Move the clock once no notification is on its way. The worker's leases run on this
        clock too: one claimed before a jump and still being sent after it would be claimed
        again and sent twice. (A notification waiting for a retry after a failure may move.)"""

        async def none_on_its_way() -> bool:
            on_its_way = await self.db.fetchval(
                "SELECT count(*) FROM alert_deliveries "
                "WHERE state = 'pending' AND last_error IS NULL"
            )
            return bool(on_its_way == 0)

        await self.wait_for(none_on_its_way)
        self.clock.advance(delta.total_seconds())

    async def set_count(
        self,
        territory_id: str,
        day: date,
        category: str,
        incidents: int,
        *,
        landlord_id: str = "bailleur-a",
        target: str = "patrimoine",
        severity: int = 2,
    ) -> None:
        """Set one counters row (0 deletes it), as a committed aggregator batch leaves it."""
        if incidents == 0:
            await self.db.execute(
                "DELETE FROM incident_counters WHERE territory_id = $1 AND day = $2 "
                "AND category = $3 AND landlord_id = $4",
                territory_id,
                day,
                category,
                landlord_id,
            )
            return
        severities = [incidents if s == severity else 0 for s in (1, 2, 3, 4)]
        targets = [incidents if t == target else 0 for t in _TARGETS]
        await self.db.execute(
            """
            INSERT INTO incident_counters (territory_id, day, category, landlord_id, incidents,
                severity_1, severity_2, severity_3, severity_4, target_patrimoine,
                target_personnel, target_prestataire, target_locataire, target_autre,
                complaint_aucune)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $5)
            ON CONFLICT (territory_id, day, category, landlord_id) DO UPDATE SET
                incidents = excluded.incidents, severity_1 = excluded.severity_1,
                severity_2 = excluded.severity_2, severity_3 = excluded.severity_3,
                severity_4 = excluded.severity_4, target_patrimoine = excluded.target_patrimoine,
                target_personnel = excluded.target_personnel,
                target_prestataire = excluded.target_prestataire,
                target_locataire = excluded.target_locataire,
                target_autre = excluded.target_autre, complaint_aucune = excluded.incidents
            """,
            territory_id,
            day,
            category,
            landlord_id,
            incidents,
            *severities,
            *targets,
        )

    async def announce(self, changes: Sequence[tuple[str, date]]) -> None:
        """Publish counters.changed.v1 for these (territory, day) pairs, as the aggregator does."""
        by_territory: dict[str, set[date]] = {}
        for territory_id, day in changes:
            by_territory.setdefault(territory_id, set()).add(day)
        message = {
            "version": 1,
            "committed_at": self.clock().isoformat(),
            "changes": [
                {"territory_id": t, "days": sorted(d.isoformat() for d in days)}
                for t, days in sorted(by_territory.items())
            ],
        }
        await self.producer.send_and_wait(topics.COUNTERS_CHANGED, orjson.dumps(message))

    async def wait_for(self, predicate: Any) -> Any:
        """Poll an async predicate until it returns something truthy (at most WAIT_S)."""
        try:
            async with asyncio.timeout(WAIT_S):
                while not (result := await predicate()):  # noqa: ASYNC110 (polls a service)
                    await asyncio.sleep(0.05)
        except TimeoutError:
            raise AssertionError(f"condition not met within {WAIT_S} s") from None
        return result

    async def wait_received(self, receiver: WebhookReceiver, count: int) -> list[Received]:
        """The receiver's requests once there are at least `count` (at most WAIT_S)."""

        async def enough() -> bool:
            return len(receiver.received) >= count

        await self.wait_for(enough)
        return receiver.received

    async def deliveries(self, subscription_id: str) -> list[asyncpg.Record]:
        """A subscription's notifications in the outbox, oldest first: dedup_key, state, kind,
        payload. Recipients are chosen in the change's own transaction, so a change without a
        row here is never sent to that subscription."""
        return await self.db.fetch(
            "SELECT dedup_key, state, payload ->> 'kind' AS kind, payload::text AS payload "
            "FROM alert_deliveries WHERE subscription_id = $1 ORDER BY id",
            subscription_id,
        )

    async def settled(self, subscription_id: str) -> list[asyncpg.Record]:
        """A subscription's notifications once none is pending (a receiver may have its request
        a moment before the worker records the answer)."""

        async def none_pending() -> list[asyncpg.Record] | None:
            rows = await self.deliveries(subscription_id)
            return None if any(row["state"] == "pending" for row in rows) else rows

        rows: list[asyncpg.Record] = await self.wait_for(none_pending)
        return rows

    async def history(self, api: httpx.AsyncClient, alert_id: str, count: int) -> list[Any]:
        """An alert's history once it has at least `count` changes (at most WAIT_S)."""

        async def changes() -> list[Any] | None:
            history: list[Any] = (await api.get(f"/v1/alerts/{alert_id}")).json()["history"]
            return history if len(history) >= count else None

        result: list[Any] = await self.wait_for(changes)
        return result

    async def only_alert(
        self, api: httpx.AsyncClient, *, rule_id: str, territory_id: str
    ) -> dict[str, Any]:
        """The alert of a rule on a territory once it exists (there must be exactly one)."""

        async def found() -> list[dict[str, Any]]:
            listed = (await api.get("/v1/alerts", params={"territory_id": territory_id})).json()
            return [
                a
                for a in listed["alerts"]
                if (a["rule_id"], a["territory_id"]) == (rule_id, territory_id)
            ]

        alerts: list[dict[str, Any]] = await self.wait_for(found)
        assert len(alerts) == 1, alerts
        return alerts[0]


async def read_alert_changes(
    bootstrap: str, *, until: Callable[[list[tuple[bytes, dict[str, Any]]]], bool]
) -> list[tuple[bytes, dict[str, Any]]]:
    """(key, payload) of alerts.v1 from the beginning of every partition, read until `until`
    holds for what was read (at most WAIT_S)."""
    # Partitions assigned by hand: joining a consumer group costs seconds on the local broker.
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    records: list[tuple[bytes, dict[str, Any]]] = []
    try:
        await consumer.topics()
        partitions = consumer.partitions_for_topic(topics.ALERTS) or set()
        consumer.assign([TopicPartition(topics.ALERTS, p) for p in sorted(partitions)])
        await consumer.seek_to_beginning()
        async with asyncio.timeout(WAIT_S):
            while not until(records):
                batch = await consumer.getmany(timeout_ms=200)
                for partition_records in batch.values():
                    records.extend(
                        (r.key or b"", orjson.loads(r.value or b"")) for r in partition_records
                    )
    except TimeoutError:
        raise AssertionError(f"alerts.v1 did not hold what was expected: {records}") from None
    finally:
        await consumer.stop()
    return records


class SseListener:
    """`GET /v1/alerts/stream` held open in the background, keeping its `alert` events."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.events: list[dict[str, Any]] = []
        self.ids: list[str] = []
        self.status: int | None = None
        self._client = client
        self._answered = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> int:
        """Connect; the answer's status (200 once the stream's first comment arrived)."""
        self._task = asyncio.create_task(self._listen())
        async with asyncio.timeout(WAIT_S):
            await self._answered.wait()
        assert self.status is not None
        return self.status

    async def close(self) -> None:
        """Disconnect."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait_events(self, count: int) -> list[dict[str, Any]]:
        """The events once there are at least `count` (at most WAIT_S)."""
        try:
            async with asyncio.timeout(WAIT_S):
                while len(self.events) < count:  # noqa: ASYNC110 (filled by the listening task)
                    await asyncio.sleep(0.02)
        except TimeoutError:
            raise AssertionError(f"{count} events expected, got {self.events}") from None
        return self.events

    async def _listen(self) -> None:
        # No read timeout: the stream sends a keep-alive comment only every 15 s.
        timeout = httpx.Timeout(10.0, read=None)
        async with self._client.stream("GET", "/v1/alerts/stream", timeout=timeout) as response:
            self.status = response.status_code
            if response.status_code != 200:
                self._answered.set()
                return
            event: str | None = None
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    self._answered.set()
                elif line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("id: "):
                    self.ids.append(line.removeprefix("id: "))
                elif line.startswith("data: ") and event == "alert":
                    self.events.append(orjson.loads(line.removeprefix("data: ")))
                elif not line:
                    event = None


@contextlib.asynccontextmanager
async def serve_alerts(
    *, database_url: str, bootstrap: str, clock: ManualClock, **overrides: Any
) -> AsyncIterator[AlertsService]:
    """Serve the alerts app until the block ends."""
    settings = AlertsSettings(
        kafka_bootstrap_servers=bootstrap,
        database_url=database_url,
        admin_token=SecretStr(ADMIN_TOKEN),
        port=free_port(),
        sweep_interval_s=overrides.pop("sweep_interval_s", 3600.0),
        retry_base_s=overrides.pop("retry_base_s", 0.2),
        **overrides,
    )
    app = create_app(settings, clock=clock)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=settings.port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    url = f"http://127.0.0.1:{settings.port}"
    db = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"{url}/health/ready")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the alerts app did not become ready")
        yield AlertsService(url, app, clock, db, database_url, bootstrap, producer)
    finally:
        await producer.stop()
        server.should_exit = True
        await task
        await db.close()
