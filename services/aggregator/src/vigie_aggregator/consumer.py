"""The batch loop: fetch from incidents.v1, decode, apply in one transaction, then commit offsets.

Order per batch: (1) the database transaction commits, (2) rejected records are in the DLQ,
(3) counters.changed messages are published, (4) Kafka offsets are committed, after those of the
batch before. A crash anywhere re-delivers the batch; replaying it is a no-op in the database
(the (revision, event_id) rule), so the counters stay exact and only DLQ records or change
messages may repeat. Consecutive batches overlap: one is decoded while the one before is in
the database, and that one announces its changes while the next is in the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import TypeAlias

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition
from faststream.kafka import KafkaBroker

from vigie.contract.events import IncidentState
from vigie.platform.known_territories import KnownTerritories
from vigie.platform.outage import database_outage
from vigie_aggregator import notify
from vigie_aggregator.batches import Applied, apply_events
from vigie_aggregator.decode import Event, InvalidMessage, decode_record
from vigie_aggregator.dlq import Rejected, send_to_dlq
from vigie_aggregator.metrics import AggregatorMetrics

log = logging.getLogger(__name__)
Record: TypeAlias = ConsumerRecord[bytes, bytes]
Batch: TypeAlias = Mapping[TopicPartition, Sequence[Record]]
LEFTOVER_EVERY_S = 30.0
FILL_S = 0.05  # how long a batch keeps collecting records after the first arrive


@dataclass(frozen=True, slots=True)
class Decoded:
    """A fetched batch, decoded: what to count, what to dead-letter."""

    batch: Batch
    events: list[Event]
    sources: list[Record]  # the record of each event
    rejected: list[Rejected]
    started: float  # perf_counter when it was fetched


class BatchConsumer:
    """Consumes incidents.v1 in batches for one member of the `aggregator` group."""

    def __init__(
        self,
        *,
        consumer: AIOKafkaConsumer,
        broker: KafkaBroker,
        pool: asyncpg.Pool,
        territories: KnownTerritories,
        metrics: AggregatorMetrics,
        max_records: int,
        fetch_timeout_ms: int,
    ) -> None:
        self._consumer = consumer
        self._broker = broker
        self._pool = pool
        self._metrics = metrics
        self._territories = territories
        self._max_records = max_records
        self._fetch_timeout_ms = fetch_timeout_ms
        # Batches not finished yet: a rebalance waits for them before giving partitions up.
        self._in_flight: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Consume until stop() is called."""
        try:
            await self._run()
        except Exception:
            log.exception("consumer loop failed")
            raise

    async def _run(self) -> None:
        # Batches overlap in stages: while one is in PostgreSQL, the next is fetched and
        # decoded, and the one before announces its changes and commits its offsets. Batches
        # still reach the database, and commit their offsets, one after the other.
        applied = asyncio.Event()
        applied.set()
        previous: asyncio.Task[None] | None = None
        next_leftovers = 0.0
        try:
            while not self._stopping.is_set():
                if time.monotonic() >= next_leftovers:
                    await self._publish_leftovers()
                    next_leftovers = time.monotonic() + LEFTOVER_EVERY_S
                try:
                    batch = await self._fetch()
                except KafkaError as exc:
                    log.warning("fetch failed, retrying: %r", exc)
                    await asyncio.sleep(1.0)
                    continue
                if not batch:
                    continue
                started = time.perf_counter()
                records = [record for part in batch.values() for record in part]
                events, sources, rejected = await self._decode_until_done(records)
                await applied.wait()  # the previous batch is committed in the database
                applied = asyncio.Event()
                previous = asyncio.create_task(
                    self._process_until_done(
                        Decoded(batch, events, sources, rejected, started),
                        applied=applied,
                        after=previous,
                    )
                )
                self._in_flight.add(previous)
                previous.add_done_callback(self._in_flight.discard)
        finally:
            # stop() lands here after the last fetch: the batch in flight finishes and commits
            # its offsets before run() returns. Only a cancellation (the app's stop timeout)
            # abandons it; its partition's next owner then re-reads it, a no-op in PostgreSQL.
            if previous is not None:
                try:
                    await previous
                except asyncio.CancelledError:
                    log.warning("batch in flight abandoned, its records will be read again")
                    raise
        log.info("consumer loop stopped after its last batch")

    async def wait_for_batches(self) -> None:
        """Until every batch in flight has committed its offsets (or failed)."""
        await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _process_until_done(
        self, decoded: Decoded, *, applied: asyncio.Event, after: asyncio.Task[None] | None
    ) -> None:
        # The same batch again, never the next one: its offsets must not be committed past
        # records whose DLQ copy or change message did not reach the broker, nor past events
        # the database refused (down, restarting, read-only). Re-applying it to the database
        # is a no-op; its outbox entries left behind are published later.
        backoff = 0.1
        try:
            while True:
                try:
                    await self.process(decoded, applied=applied, after=after)
                    return
                except Exception as exc:
                    if not _transient(exc):
                        raise
                    log.warning("batch not finished, retrying in %.1f s: %r", backoff, exc)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
        finally:
            applied.set()  # whatever happened, the loop must not wait for it forever

    async def _fetch(self) -> dict[TopicPartition, list[Record]]:
        # One fetch returns what the fetcher buffered, often a few hundred records; a batch's
        # fixed costs (transaction, publish, offset commit) want thousands, so keep collecting
        # for a short while once records flow.
        batch: dict[TopicPartition, list[Record]] = {}
        count = 0
        deadline = None
        timeout_ms = self._fetch_timeout_ms
        while count < self._max_records:
            fetched = await self._consumer.getmany(
                timeout_ms=timeout_ms, max_records=self._max_records - count
            )
            if not fetched:
                break
            for tp, records in fetched.items():
                batch.setdefault(tp, []).extend(records)
                count += len(records)
            if deadline is None:
                deadline = time.monotonic() + FILL_S
            timeout_ms = int((deadline - time.monotonic()) * 1000)
            if timeout_ms <= 0:
                break
        return batch

    def stop(self) -> None:
        """Finish the batches in flight, then return from run()."""
        self._stopping.set()

    async def process(
        self, decoded: Decoded, *, applied: asyncio.Event, after: asyncio.Task[None] | None
    ) -> None:
        """Apply one decoded batch end to end, offsets committed last (and after those of the
        batch `after`). `applied` is set once its transaction has committed."""
        dlq = asyncio.create_task(send_to_dlq(self._broker, decoded.rejected))
        try:
            outcome = await apply_events(self._pool, decoded.events, metrics=self._metrics)
        finally:
            await dlq
        # Only once committed: the next batch must not reach the database beside a retry.
        applied.set()
        refused = [
            Rejected(decoded.sources[index], f"(storage): {message}", "storage")
            for index, message in outcome.refused
        ]
        await send_to_dlq(self._broker, refused)
        if after is not None:
            await after
        await notify.announce(self._broker, self._pool, outcome.outbox)
        await self._commit(decoded.batch)
        self._record(outcome, [*decoded.rejected, *refused], decoded)

    async def _decode_until_done(
        self, records: Sequence[Record]
    ) -> tuple[list[Event], list[Record], list[Rejected]]:
        # Decoding asks the database about unknown territories: wait out an outage.
        backoff = 0.1
        while True:
            try:
                return await self._decode(records)
            except Exception as exc:
                if database_outage(exc) is None:
                    raise
                log.warning("territories not readable, retrying in %.1f s: %r", backoff, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _decode(
        self, records: Sequence[Record]
    ) -> tuple[list[Event], list[Record], list[Rejected]]:
        decoded: list[tuple[Record, Event]] = []
        rejected: list[Rejected] = []
        for record in records:
            try:
                event = decode_record(record.value, timestamp_ms=record.timestamp)
            except InvalidMessage as exc:
                rejected.append(Rejected(record, str(exc), _reason(str(exc))))
            except Exception as exc:  # whatever a record does, its partition must not stall
                rejected.append(Rejected(record, f"(body): {exc!r}", "schema"))
            else:
                decoded.append((record, event))
        named = {e.territory_id for _, e in decoded if isinstance(e, IncidentState)}
        unknown = await self._territories.unknown(named)
        events: list[Event] = []
        sources: list[Record] = []
        for record, event in decoded:
            if unknown and isinstance(event, IncidentState) and event.territory_id in unknown:
                message = f"territory_id: unknown territory {event.territory_id!r}"
                rejected.append(Rejected(record, message, "territory"))
            else:
                events.append(event)
                sources.append(record)
        return events, sources, rejected

    async def _commit(self, batch: Batch) -> None:
        assigned = self._consumer.assignment()
        offsets = {tp: part[-1].offset + 1 for tp, part in batch.items() if tp in assigned and part}
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except KafkaError as exc:
            # A rebalance took the partition: its next owner re-reads the batch, a no-op.
            log.info("offset commit failed, the batch will be re-read: %r", exc)
            return
        for tp, offset in offsets.items():
            highwater = self._consumer.highwater(tp)
            if highwater is not None:
                self._metrics.lag.labels(tp.topic, str(tp.partition)).set(
                    max(highwater - offset, 0)
                )

    def _record(self, outcome: Applied, rejected: list[Rejected], decoded: Decoded) -> None:
        metrics = self._metrics
        metrics.applied.inc(outcome.applied)
        metrics.duplicates.inc(outcome.duplicates)
        metrics.stale.inc(outcome.stale)
        for item in rejected:
            metrics.dlq.labels(reason=item.reason).inc()
        metrics.batch_size.observe(len(decoded.sources) + len(decoded.rejected))
        metrics.batch_seconds.observe(time.perf_counter() - decoded.started)

    async def _publish_leftovers(self) -> None:
        try:
            await notify.publish_leftovers(self._broker, self._pool)
        except (OSError, KafkaError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("could not publish outbox leftovers: %r", exc)


def _transient(exc: BaseException) -> bool:
    """A broker or database outage: the batch is retried, never skipped."""
    return isinstance(exc, KafkaError | OSError) or database_outage(exc) is not None


def _reason(error: str) -> str:
    if "invalid JSON" in error:
        return "json"
    return "schema"


class WaitForBatch(ConsumerRebalanceListener):  # type: ignore[misc]
    """Lets the batches in flight commit their offsets before partitions are handed over."""

    def __init__(self, consumer: BatchConsumer, metrics: AggregatorMetrics) -> None:
        self._consumer = consumer
        self._metrics = metrics

    async def on_partitions_revoked(self, revoked: Set[TopicPartition]) -> None:
        """Wait for the batches in flight."""
        await self._consumer.wait_for_batches()
        self._metrics.assigned.set(0)

    async def on_partitions_assigned(self, assigned: Set[TopicPartition]) -> None:
        """Committed offsets say where to resume; only the metric changes."""
        self._metrics.assigned.set(len(assigned))
