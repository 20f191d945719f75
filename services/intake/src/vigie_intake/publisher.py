"""Publishing accepted events to `incidents.v1`, keyed by territory, with a bounded wait.

Decisions:
- One aiokafka producer per process, `acks="all"`, `enable_idempotence=False` (the local broker
  has no idempotent producer; duplicates are harmless since `event_id` is the idempotency key).
  Not FastStream's publisher: measured on this machine it costs 50–125 µs per message against
  18 µs for aiokafka's `send()`, which alone would cap the batch endpoint below its target.
- A single event is one `send()`. A batch is grouped by partition (the producer's own
  partitioner on the key, so an event lands where `send()` would put it) and handed over as a
  few record batches with `send_batch()`: per-event cost is an append, not a full `send()`.
- All acknowledgements are awaited together. A single event must be acknowledged within
  `timeout_s` (< 2 s); a batch gives up when no acknowledgement arrived for `timeout_s` (or
  after `max_s` in all), so a dead broker gives BrokerUnavailable (→ 503 + Retry-After)
  quickly while a slow but working one is given the time a large batch needs.
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
from typing import Any

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
        max_s: float,
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
        self._max_s = max_s
        self._topic = topic
        self._started: AIOKafkaProducer | None = None

    @property
    def _producer(self) -> AIOKafkaProducer:
        """The started producer."""
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
            if len(records) == 1:
                async with asyncio.timeout(self._timeout_s):
                    key, value = records[0]
                    await (await self._producer.send(self._topic, value, key=key))
            else:
                await self._publish_many(records)
        except TimeoutError:
            raise BrokerUnavailable("the broker did not acknowledge in time") from None
        except KafkaError as exc:
            raise BrokerUnavailable(f"the broker refused: {type(exc).__name__}") from exc

    async def _publish_many(self, records: Sequence[tuple[bytes, bytes]]) -> None:
        """Publish records as per-partition record batches."""
        # A big batch may take longer than `timeout_s` on a busy broker, yet a dead broker must
        # still give 503 quickly: give up when no acknowledgement came for `timeout_s`, or
        # after `max_s` in all.
        async with asyncio.timeout(self._timeout_s):
            partitions = sorted(await self._producer.partitions_for(self._topic))
        progress = asyncio.Event()
        # Partitions are handed over concurrently: each waits for its previous batch to drain.
        work = asyncio.gather(
            *(
                self._deliver(partition, batches, progress)
                for partition, batches in self._batches(records, partitions).items()
            )
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._max_s
        try:
            while not work.done():
                progress.clear()
                waiter: asyncio.Future[Any] = asyncio.ensure_future(progress.wait())
                watched: set[asyncio.Future[Any]] = {work, waiter}
                timeout = min(self._timeout_s, deadline - loop.time())
                done, _ = await asyncio.wait(
                    watched, timeout=max(0.0, timeout), return_when=asyncio.FIRST_COMPLETED
                )
                waiter.cancel()
                if not done:
                    raise TimeoutError
            work.result()
        finally:
            if not work.done():
                work.cancel()
                # Retrieve the outcome so that asyncio does not log it as never retrieved.
                work.add_done_callback(lambda w: w.cancelled() or w.exception())

    def _batches(
        self, records: Sequence[tuple[bytes, bytes]], partitions: list[int]
    ) -> dict[int, list[Any]]:
        """Record batches per partition, each record where the default partitioner puts it."""
        by_partition: dict[int, list[Any]] = {}
        for key, value in records:
            partition = partitions[partition_index(key, len(partitions))]
            batches = by_partition.setdefault(partition, [self._producer.create_batch()])
            if batches[-1].append(key=key, value=value, timestamp=None) is None:
                batches.append(self._producer.create_batch())
                batches[-1].append(key=key, value=value, timestamp=None)
        return by_partition

    async def _deliver(self, partition: int, batches: list[Any], progress: asyncio.Event) -> None:
        """Hand one partition's batches over in order and wait for their acks."""
        futures: list[asyncio.Future[object]] = []
        for batch in batches:
            future = await self._producer.send_batch(batch, self._topic, partition=partition)
            future.add_done_callback(lambda _: progress.set())
            futures.append(future)
        await asyncio.gather(*futures)
