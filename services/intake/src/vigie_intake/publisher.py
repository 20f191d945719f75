"""Publishing accepted events to `incidents.v1`, keyed by territory, with a bounded wait.

Decisions:
- FastStream's KafkaBroker, with its Prometheus middleware on the intake's registry, so that
  `/metrics` carries FastStream's publish metrics. `acks="all"`, `enable_idempotence=False`
  (the local broker has no idempotent producer; duplicates are harmless since `event_id` is
  the idempotency key).
- A single event is one `publish()`. A batch is grouped by partition (murmur2 on the key, as
  the default partitioner does, so an event lands where a single `publish()` would put it)
  and each group is one `publish_batch()` per record batch, with one key per record
  (`KafkaPublishMessage`). The partition list is that of the aiokafka producer FastStream
  publishes with, the one its partitioner uses.
- Cost, measured with `bench.intake` on 2 shared cores (runs interleaved with the former
  bare-aiokafka publisher, figures noisy): a batch event costs the intake ~22 µs CPU instead
  of ~19 (a message object, a correlation_id header and key bookkeeping per record); the
  batch endpoint made 0.51–0.68 × the bare producer, median 0.57, over 14 runs (bare aiokafka:
  0.52–0.69, median 0.61; target 0.5). A single request costs ~190 µs instead of ~168:
  3,200–5,250 requests/s, p99 10–28 ms, the worst beside another benchmark (bare aiokafka:
  4,400–5,900/s, p99 7–15 ms; target 2,000/s, 30 ms). One `publish()` per batch event
  instead of `publish_batch()` made 0.21 ×: target missed. Later, with the cycle collector's
  threshold raised (`vigie.platform.serve`), on the idle machine: 0.56–0.58 ×, 20 µs per batch
  event; 5,200–5,300 single requests/s, p99 7–8 ms.
- All acknowledgements are awaited together. A single event must be acknowledged within
  `timeout_s` (< 2 s); a batch gives up when no acknowledgement arrived for `timeout_s` (or
  after `max_s` in all), so a dead broker gives BrokerUnavailable (→ 503 + Retry-After)
  quickly while a slow but working one is given the time a large batch needs.
  Giving up ends only our wait: the publish carries on in the background until the broker
  acknowledges it or aiokafka times it out, so FastStream's metrics count its real outcome
  (a cancelled publish would count as a success there). A message may thus be delivered
  after we answered 503: the sender retries with the same event_id and the duplicate counts
  once. Nothing answered 202 is unacknowledged.
- Recovery needs no code: aiokafka reconnects and refreshes metadata by itself once the broker
  answers again (tested by stopping and restarting the broker).
"""

from __future__ import annotations

import asyncio
import functools
from collections import defaultdict
from collections.abc import Coroutine, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import murmur2
from faststream.kafka import KafkaBroker, KafkaPublishMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.security import BaseSecurity
from prometheus_client import CollectorRegistry

from vigie.contract import topics

# Record batches up to this size: a 1,000-event request fills a few per partition, not dozens
# (aiokafka's default is 16 KiB). Below the 1 MiB a Kafka broker accepts per batch by default.
MAX_BATCH_BYTES = 256 * 1024
# Upper bound of a record's size beyond its key and value: varints, attributes and the
# correlation_id header FastStream adds (~55 bytes).
RECORD_OVERHEAD_BYTES = 128
# aiokafka's own timeout for a produce request; our publish deadline is shorter, this only
# bounds how long a record stays buffered for a broker that is gone.
REQUEST_TIMEOUT_MS = 10_000
# Below the readiness check's 2 s, so that a dead broker reads "unreachable", not a timeout.
PING_TIMEOUT_S = 1.5


class BrokerUnavailable(Exception):
    """The broker did not acknowledge in time, or refused."""


@functools.lru_cache(maxsize=65_536)
def partition_index(key: bytes, partitions: int) -> int:
    """The index aiokafka's (and Kafka's) default partitioner picks for a key; cached because
    keys are territories, a few thousand, and murmur2 is pure Python."""
    return int(murmur2(key) & 0x7FFFFFFF) % partitions


def record_batches(
    records: Sequence[tuple[bytes, bytes]], partitions: list[int]
) -> list[tuple[int, list[list[KafkaPublishMessage]]]]:
    """Per partition, the records cut into batches below MAX_BATCH_BYTES, in request order."""
    groups: defaultdict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
    for record in records:
        groups[partition_index(record[0], len(partitions))].append(record)
    result: list[tuple[int, list[list[KafkaPublishMessage]]]] = []
    for index, group in groups.items():
        batches: list[list[KafkaPublishMessage]] = [[]]
        size = 0
        for key, value in group:
            record_size = len(key) + len(value) + RECORD_OVERHEAD_BYTES
            if size + record_size > MAX_BATCH_BYTES - RECORD_OVERHEAD_BYTES and batches[-1]:
                batches.append([])
                size = 0
            batches[-1].append(KafkaPublishMessage(value, key=key))
            size += record_size
        result.append((partitions[index], batches))
    return result


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
        registry: CollectorRegistry,
        topic: str = topics.INCIDENTS,
        security: BaseSecurity | None = None,
    ) -> None:
        self._broker = KafkaBroker(
            bootstrap_servers,
            security=security,
            client_id="vigie-intake",
            acks="all",
            enable_idempotence=False,
            linger_ms=linger_ms,
            max_batch_size=MAX_BATCH_BYTES,
            max_request_size=max(max_request_bytes, MAX_BATCH_BYTES),
            request_timeout_ms=REQUEST_TIMEOUT_MS,
            middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name="vigie-intake")],
        )
        self._single = self._broker.publisher(topic)
        self._batch = self._broker.publisher(topic, batch=True)
        self._timeout_s = timeout_s
        self._max_s = max_s
        self._topic = topic
        # Publishes under way, referenced until they end (also those we stopped waiting for).
        self._running: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        """Connect to the broker."""
        await self._broker.start()

    async def stop(self) -> None:
        """Send what is buffered, then disconnect."""
        await self._broker.stop()

    async def ping(self) -> bool:
        """Whether the broker answers a metadata request within PING_TIMEOUT_S."""
        return await self._broker.ping(PING_TIMEOUT_S)

    def _producer(self) -> AIOKafkaProducer:
        """The aiokafka producer FastStream publishes with, for its partition list: what the
        default partitioner of a single `publish()` uses, read from the producer's cached
        metadata. FastStream 0.7 has no public accessor for it or for the list (its admin
        client would answer with another client's view, and a round trip per batch)."""
        state = self._broker.config.producer._producer  # type: ignore[attr-defined]
        producer: AIOKafkaProducer = state.producer
        return producer

    async def publish(self, records: Sequence[tuple[bytes, bytes]]) -> None:
        """Publish every record; return once all are acknowledged, else raise BrokerUnavailable."""
        if not records:
            return
        try:
            if len(records) == 1:
                key, value = records[0]
                single = self._start(self._single.publish(value, key=key))
                await asyncio.wait_for(asyncio.shield(single), self._timeout_s)
            else:
                await self._publish_many(records)
        except TimeoutError:
            raise BrokerUnavailable("the broker did not acknowledge in time") from None
        except KafkaError as exc:
            raise BrokerUnavailable(f"the broker refused: {type(exc).__name__}") from exc

    async def _publish_many(self, records: Sequence[tuple[bytes, bytes]]) -> None:
        """Publish records as per-partition record batches."""
        async with asyncio.timeout(self._timeout_s):
            partitions = sorted(await self._producer().partitions_for(self._topic))
        progress = asyncio.Event()
        # Partitions are handed over concurrently; within one, batches go in order.
        tasks = [
            self._start(self._deliver(partition, batches, progress))
            for partition, batches in record_batches(records, partitions)
        ]
        await self._wait(tasks, progress)

    async def _deliver(
        self, partition: int, batches: list[list[KafkaPublishMessage]], progress: asyncio.Event
    ) -> None:
        """Publish one partition's batches, each once the previous one is acknowledged."""
        for batch in batches:
            await self._batch.publish(*batch, partition=partition)
            progress.set()

    def _start(self, publishing: Coroutine[Any, Any, object]) -> asyncio.Task[Any]:
        """Run a publish as a task of its own, so that giving up on it does not cancel it."""
        task = asyncio.ensure_future(publishing)
        self._running.add(task)
        task.add_done_callback(self._forget)
        return task

    def _forget(self, task: asyncio.Task[Any]) -> None:
        """Drop an ended publish; retrieve its outcome so that asyncio does not log it."""
        self._running.discard(task)
        if not task.cancelled():
            task.exception()

    async def _wait(self, tasks: list[asyncio.Task[Any]], progress: asyncio.Event) -> None:
        """Wait for every task; TimeoutError when none made progress for `timeout_s`, or
        after `max_s` in all (a big batch may take longer than `timeout_s` on a busy broker,
        yet a dead broker must still give 503 quickly). The tasks are not cancelled."""
        work = asyncio.gather(*tasks)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._max_s
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
                # The publishes go on; retrieve their joint outcome so that asyncio does not log it.
                work.add_done_callback(lambda w: w.cancelled() or w.exception())
                raise TimeoutError
        work.result()
