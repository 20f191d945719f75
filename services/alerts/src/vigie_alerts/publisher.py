"""alerts.v1: the changes written to the alert_events_outbox table in the transaction of each
change are published here (key: the territory), then deleted once the broker acknowledged
them, so that a crash between the two repeats a message rather than losing it."""

from __future__ import annotations

import asyncpg
from faststream.kafka import KafkaBroker

from vigie.contract import topics
from vigie_alerts import repository
from vigie_alerts.metrics import AlertsMetrics

BATCH = 500


class EventPublisher:
    """Empties the alerts.v1 outbox; `publish_pending` is one round."""

    def __init__(self, *, pool: asyncpg.Pool, broker: KafkaBroker, metrics: AlertsMetrics) -> None:
        self._pool = pool
        self._publisher = broker.publisher(topics.ALERTS)
        self._metrics = metrics

    async def publish_pending(self) -> int:
        """Publish every waiting message, oldest first; how many."""
        published = 0
        while True:
            async with self._pool.acquire() as conn, conn.transaction():
                rows = await repository.take_events(conn, BATCH)
                for row in rows:
                    await self._publisher.publish(
                        row["payload"].encode(),
                        key=row["territory_id"].encode(),
                        headers={"content-type": "application/json"},
                    )
                await repository.delete_events(conn, [row["id"] for row in rows])
                depth = await repository.events_depth(conn)
            self._metrics.outbox_depth.labels("alerts.v1").set(depth)
            published += len(rows)
            if len(rows) < BATCH:
                return published
