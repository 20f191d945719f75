"""The dead-letter topic (docs/contract.md §6): the original key and bytes, and why, never
blocking.

Published through the aggregator's FastStream broker, so `/metrics` counts DLQ records
(`faststream_published_messages_total{destination="incidents.dlq.v1"}`). FastStream takes
header values as text: an original header whose value is not UTF-8 is carried with `\\xNN`
escapes, and a repeated original header name keeps its last value. FastStream also adds its
`content-type` (empty for raw bytes) and `correlation_id` headers, unless the record has them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka.structs import ConsumerRecord
from faststream.kafka import KafkaBroker

from vigie.contract import topics

MAX_ERROR_BYTES = 4000


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that cannot be counted, and why."""

    record: ConsumerRecord[bytes, bytes]
    error: str
    reason: str  # a short metric label: json, schema, territory, storage


def dlq_headers(rejected: Rejected) -> dict[str, str]:
    """The §6 headers, after the record's own headers (kept for tracing)."""
    record = rejected.record
    original = {
        key: (value or b"").decode(errors="backslashreplace")
        for key, value in record.headers or ()
        if key not in _OURS
    }
    return {
        **original,
        # Cut to MAX_ERROR_BYTES of UTF-8, never inside a character.
        "error": rejected.error.encode()[:MAX_ERROR_BYTES].decode(errors="ignore"),
        "source-topic": record.topic,
        "source-partition": str(record.partition),
        "source-offset": str(record.offset),
    }


_OURS = frozenset({"error", "source-topic", "source-partition", "source-offset"})


async def send_to_dlq(broker: KafkaBroker, rejected: list[Rejected]) -> None:
    """Publish every rejected record and wait until the broker has them all."""
    if not rejected:
        return
    # Concurrent publishes, each awaiting its acknowledgement: the producer sends them together,
    # and FastStream's metrics count each one's real outcome.
    await asyncio.gather(
        *(
            broker.publish(
                item.record.value,
                topics.INCIDENTS_DLQ,
                key=item.record.key,
                headers=dlq_headers(item),
            )
            for item in rejected
        )
    )
