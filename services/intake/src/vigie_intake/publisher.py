"""Publishing accepted events to `incidents.v1`, keyed by territory, with a bounded wait.

Decisions:
- One aiokafka producer per process, `acks="all"`, `enable_idempotence=False` (the local broker
  has no idempotent producer; duplicates are harmless since `event_id` is the idempotency key).
  Not FastStream's publisher: measured on this machine it costs 50–125 µs per message against
  18 µs for aiokafka's `send()`, which alone would cap the batch endpoint below its target.
- A single event is one `send()`. A batch is grouped by partition (the producer's own
  partitioner on the key, so an event lands where `send()` would put it) and handed over as a
  few record batches with `send_batch()`: per-event cost is an append, not a full `send()`.
- All acknowledgements are awaited together, and the whole publish is bounded by `timeout_s`
  (< 2 s): a dead broker gives BrokerUnavailable (→ 503 + Retry-After) instead of a hang.
  Giving up cancels only our wait (aiokafka skips cancelled futures), so a message may still
  be delivered after we answered 503: the sender retries with the same event_id and the
  duplicate counts once. Nothing answered 202 is unacknowledged.
- Recovery needs no code: aiokafka reconnects and refreshes metadata by itself once the broker
  answers again (tested by stopping and restarting the broker).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import murmur2

from vigie import topics

# Record batches up to this size: a 1,000-event request fills a few per partition, not dozens
# (aiokafka's default is 16 KiB). Below the 1 MiB a Kafka broker accepts per batch by default.
MAX_BATCH_BYTES = 256 * 1024
# aiokafka's own timeout for a produce request; our publish deadline is shorter, this only
# bounds how long a record stays buffered for a broker that is gone.
REQUEST_TIMEOUT_MS = 10_000


class BrokerUnavailable(Exception):
    """The broker did not acknowledge in time, or refused."""


@functools.lru_cache(maxsize=65_536)
def partition_index(key: bytes, partitions: int) -> int:
    """The index aiokafka's (and Kafka's) default partitioner picks for a key; cached because
    keys are territories, a few thousand, and murmur2 is pure Python."""
    return int(murmur2(key) & 0x7FFFFFFF) % partitions


class IncidentPublisher:
    """Sends (key, value) pairs to the incidents topic and waits for the broker's acks."""

    def __init__(
        self,
        *,
        bootstrap_servers: str,
        timeout_s: float,
        linger_ms: int,
        max_request_bytes: int,
        topic: str = topics.INCIDENTS,
    ) -> None:
        self._config = {
            "bootstrap_servers": bootstrap_servers,
            "client_id": "vigie-intake",
            "acks": "all",
            "enable_idempotence": False,
            "linger_ms": linger_ms,
            "max_batch_size": MAX_BATCH_BYTES,
            "max_request_size": max(max_request_bytes, MAX_BATCH_BYTES),
            "request_timeout_ms": REQUEST_TIMEOUT_MS,
        }
        self._timeout_s = timeout_s
        self._topic = topic
        self._started: AIOKafkaProducer | None = None

    @property
    def _producer(self) -> AIOKafkaProducer:
        if self._started is None:
            raise RuntimeError("IncidentPublisher.start() was not called")
        return self._started

    async def start(self) -> None:
        """Connect to the broker (the producer is made here: it needs the running loop)."""
        producer = AIOKafkaProducer(**self._config)
        await producer.start()
        self._started = producer

    async def stop(self) -> None:
        """Send what is buffered, then disconnect."""
        if self._started is not None:
            producer, self._started = self._started, None
            await producer.stop()

    async def ping(self) -> None:
        """Raise unless the broker answers a metadata request now."""
        await self._producer.client.fetch_all_metadata()

    async def publish(self, records: Sequence[tuple[bytes, bytes]]) -> None:
        """Publish every record; return once all are acknowledged, else raise BrokerUnavailable."""
        if not records:
            return
        try:
            async with asyncio.timeout(self._timeout_s):
                # Handing over waits for metadata and buffer space: where a dead broker blocks.
                if len(records) == 1:
                    key, value = records[0]
                    await (await self._producer.send(self._topic, value, key=key))
                else:
                    await asyncio.gather(*await self._send_batches(records))
        except TimeoutError:
            raise BrokerUnavailable("the broker did not acknowledge in time") from None
        except KafkaError as exc:
            raise BrokerUnavailable(f"the broker refused: {type(exc).__name__}") from exc

    async def _send_batches(
        self, records: Sequence[tuple[bytes, bytes]]
    ) -> list[asyncio.Future[object]]:
        futures: list[asyncio.Future[object]] = []
        partitions = sorted(await self._producer.partitions_for(self._topic))
        by_partition: dict[int, list[tuple[bytes, bytes]]] = {}
        for record in records:
            index = partition_index(record[0], len(partitions))
            by_partition.setdefault(partitions[index], []).append(record)
        for partition, group in by_partition.items():
            batch = self._producer.create_batch()
            for key, value in group:
                if batch.append(key=key, value=value, timestamp=None) is None:
                    futures.append(await self._send(batch, partition))
                    batch = self._producer.create_batch()
                    batch.append(key=key, value=value, timestamp=None)
            futures.append(await self._send(batch, partition))
        return futures

    async def _send(self, batch: object, partition: int) -> asyncio.Future[object]:
        future: asyncio.Future[object] = await self._producer.send_batch(
            batch, self._topic, partition=partition
        )
        return future
