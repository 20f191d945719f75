"""The dead-letter topic (docs/contract.md §6): the original key and bytes, and why, never
blocking."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from vigie.contract import topics

MAX_ERROR_BYTES = 4000


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that cannot be counted, and why."""

    record: ConsumerRecord[bytes, bytes]
    error: str
    reason: str  # a short metric label: json, schema, territory, storage


def dlq_headers(rejected: Rejected) -> list[tuple[str, bytes]]:
    """The §6 headers, after the record's own headers (kept for tracing)."""
    record = rejected.record
    original = [(key, value) for key, value in record.headers or () if key not in _OURS]
    return [
        *original,
        ("error", rejected.error.encode()[:MAX_ERROR_BYTES]),
        ("source-topic", record.topic.encode()),
        ("source-partition", str(record.partition).encode()),
        ("source-offset", str(record.offset).encode()),
    ]


_OURS = frozenset({"error", "source-topic", "source-partition", "source-offset"})


async def send_to_dlq(producer: AIOKafkaProducer, rejected: list[Rejected]) -> None:
    """Publish every rejected record and wait until the broker has them all."""
    if not rejected:
        return
    futures = [
        await producer.send(
            topics.INCIDENTS_DLQ,
            key=item.record.key,
            value=item.record.value,
            headers=dlq_headers(item),
        )
        for item in rejected
    ]
    await asyncio.gather(*futures)
