"""counters.changed.v1: after a committed batch, which (territory, day) pairs moved.

The batch's own statement (apply_batch.sql) writes the changed pairs to an outbox table; after
the commit they are formatted into messages, published, then deleted. A process that dies in
between leaves them for any replica to publish (at least once). The format is documented next
to `vigie.contract.topics.COUNTERS_CHANGED`. Published through the aggregator's FastStream
broker, so `/metrics` counts them (`faststream_published_messages_total{destination=
"counters.changed.v1"}`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime

import asyncpg
import orjson
from faststream.kafka import KafkaBroker

from vigie.contract import topics
from vigie_aggregator import repository
from vigie_aggregator.repository import OutboxEntry

log = logging.getLogger(__name__)
LEFTOVER_AGE_S = 30.0


def change_messages(
    changes: Iterable[tuple[str, date]], *, committed_at: datetime | None = None
) -> list[bytes]:
    """The messages announcing these (territory, day) pairs: each territory once with its days
    sorted, territories sorted, split by size."""
    days_by_territory: dict[str, set[date]] = {}
    for territory_id, day in changes:
        days_by_territory.setdefault(territory_id, set()).add(day)
    at = (committed_at or datetime.now(UTC)).isoformat(timespec="milliseconds")
    entries = [
        {"territory_id": territory_id, "days": sorted(days)}
        for territory_id, days in sorted(days_by_territory.items())
    ]
    step = topics.COUNTERS_CHANGED_MAX_TERRITORIES
    return [
        orjson.dumps(
            {
                "version": topics.COUNTERS_CHANGED_VERSION,
                "committed_at": at,
                "changes": entries[start : start + step],
            }
        )
        for start in range(0, len(entries), step)
    ]


async def publish(broker: KafkaBroker, payloads: list[bytes]) -> None:
    """Publish messages and wait for the broker's acknowledgements (concurrent publishes: the
    producer sends them together)."""
    await asyncio.gather(
        *(broker.publish(payload, topics.COUNTERS_CHANGED) for payload in payloads)
    )


async def announce(broker: KafkaBroker, pool: asyncpg.Pool, entries: list[OutboxEntry]) -> None:
    """Publish a committed batch's changes, then forget them."""
    if not entries:
        return
    async with pool.acquire() as conn:
        await _publish_and_forget(broker, conn, entries)


async def publish_leftovers(broker: KafkaBroker, pool: asyncpg.Pool) -> int:
    """Publish what crashed processes left in the outbox; return how many entries."""
    async with pool.acquire() as conn, conn.transaction():
        entries = await repository.outbox_leftovers(conn, older_than_s=LEFTOVER_AGE_S)
        if entries:
            await _publish_and_forget(broker, conn, entries)
    if entries:
        log.info("published the changes of %d batches left by a previous run", len(entries))
    return len(entries)


async def _publish_and_forget(
    broker: KafkaBroker, conn: repository.Conn, entries: list[OutboxEntry]
) -> None:
    await publish(broker, change_messages(pair for entry in entries for pair in entry.changes))
    await repository.delete_outbox(conn, [entry.id for entry in entries])
