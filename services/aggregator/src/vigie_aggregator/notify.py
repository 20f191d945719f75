"""counters.changed.v1: after a committed batch, which (territory, day) pairs moved.

The messages are written to an outbox table by the batch's own statement (apply_batch.sql),
published after the commit, then deleted; a process that dies in between leaves them for any
replica to publish (at least once). The format is documented next to
`vigie.topics.COUNTERS_CHANGED`.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg
from aiokafka import AIOKafkaProducer

from vigie import topics
from vigie_aggregator import repository

log = logging.getLogger(__name__)
LEFTOVER_AGE_S = 30.0


async def publish(producer: AIOKafkaProducer, payloads: list[bytes]) -> None:
    """Publish messages and wait for the broker's acknowledgements."""
    futures = [await producer.send(topics.COUNTERS_CHANGED, value=payload) for payload in payloads]
    await asyncio.gather(*futures)


async def publish_from_outbox(
    producer: AIOKafkaProducer, pool: asyncpg.Pool, *, ids: list[int], payloads: list[bytes]
) -> None:
    """Publish a committed batch's messages, then forget them."""
    if not ids:
        return
    await publish(producer, payloads)
    async with pool.acquire() as conn:
        await repository.delete_outbox(conn, ids)


async def publish_leftovers(producer: AIOKafkaProducer, pool: asyncpg.Pool) -> int:
    """Publish what crashed processes left in the outbox; return how many messages."""
    async with pool.acquire() as conn, conn.transaction():
        messages = await repository.outbox_leftovers(conn, older_than_s=LEFTOVER_AGE_S)
        if messages:
            await publish(producer, [message.payload for message in messages])
            await repository.delete_outbox(conn, [message.id for message in messages])
    if messages:
        log.info("published %d counters.changed messages left by a previous run", len(messages))
    return len(messages)
