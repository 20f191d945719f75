"""cases.v1: the messages written to field_cases_outbox in the transaction of each change are
published here (key: the case id, so one case's messages stay in order), then deleted once the
broker acknowledged them; a crash between the two repeats a message rather than losing it."""

from __future__ import annotations

import asyncpg
from faststream.kafka import KafkaBroker

from vigie.contract import topics
from vigie.platform.background import Periodic
from vigie_reporting import case_store

BATCH = 200
INTERVAL_S = 5.0  # a round also runs at once when a change wakes it


class CasePublisher:
    """Empties the cases.v1 outbox in the background; `wake()` after committing a change."""

    def __init__(self, *, pool: asyncpg.Pool, broker: KafkaBroker) -> None:
        self._pool = pool
        self._publisher = broker.publisher(topics.CASES)
        self._rounds = Periodic(self.publish_pending, interval_s=INTERVAL_S, name="cases-publish")

    def start(self) -> None:
        """Start publishing."""
        self._rounds.start()

    def wake(self) -> None:
        """Publish now rather than at the next round."""
        self._rounds.wake()

    async def stop(self) -> None:
        """Stop publishing (what is left waits in the outbox)."""
        await self._rounds.stop()

    async def publish_pending(self) -> int:
        """Publish every waiting message, oldest first; how many."""
        published = 0
        while True:
            async with self._pool.acquire() as conn, conn.transaction():
                rows = await case_store.take_messages(conn, BATCH)
                for row in rows:
                    await self._publisher.publish(
                        row["payload"].encode(),
                        key=row["case_id"].encode(),
                        headers={"content-type": "application/json"},
                    )
                await case_store.delete_messages(conn, [row["id"] for row in rows])
            published += len(rows)
            if len(rows) < BATCH:
                return published
