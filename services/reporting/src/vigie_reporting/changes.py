"""counters.changed.v1 → what reporting's roll-ups must recompute, and `as_of`.

The aggregator announces, after each committed batch, the (territory, days) pairs it changed
(format beside `vigie.contract.topics.COUNTERS_CHANGED`: at least once, in any order across
partitions). The roll-ups are recomputed by day, so reporting keeps the days: appended to
`reporting_dirty_days` (a day marked twice is recomputed once), folded in by the refresh about
every second (`rollups`), read from the counters by requests until then. `as_of` is the latest
`committed_at` heard (it never moves back), or the start of the last full rebuild if later.

Reporting reads in its own consumer group (REPORTING_GROUP_ID, "reporting") and commits offsets
only once the days are in its database (at least once). What it may have missed makes it
rebuild the roll-ups in full:

- a partition with no committed offset (the group's first start, or offsets expired while
  reporting was down), or whose committed offset the topic no longer holds (retention passed
  it): reading starts from the earliest message kept (`auto_offset_reset="earliest"`), and a
  full rebuild asked on assignment covers everything older (its snapshot follows the ask, and
  messages the topic dropped announced changes committed before it). Nothing depends on the
  order of the rebuild's snapshot and the consumer's first position. That starting offset is
  then committed, so a restart before any message does not rebuild again;
- a message it cannot read (what changed is unknown).

`vigie rebuild` announces the counter rows it corrected through the aggregator's outbox like a
batch does (`vigie_aggregator.rebuild`), so reporting and alerts hear of it the same way."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import BatchSubscriber
from pydantic import ValidationError

from vigie.contract import topics
from vigie.contract.counters_changed import CountersChanged
from vigie_reporting import repository
from vigie_reporting.repository import Conn

MAX_MESSAGES = 500  # per handler call: one transaction for all of them
CHECK_WAIT_S = 30.0
RETRY_MAX_S = 10.0
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Heard:
    """What some counters.changed.v1 messages tell reporting."""

    days: list[date]  # the days they name, once each, sorted
    territories: list[str]  # the territories they name, once each, sorted
    committed_at: datetime | None  # the latest commit they announce
    unreadable: int  # messages it could not read: what changed is unknown


def read_messages(bodies: Iterable[object]) -> Heard:
    """The days, the latest commit time and the count of unreadable messages of a batch (each
    body as decoded by FastStream: a JSON object, or bytes when it was not JSON)."""
    days: set[date] = set()
    territories: set[str] = set()
    latest: datetime | None = None
    unreadable = 0
    for body in bodies:
        try:
            if isinstance(body, bytes | str):
                message = CountersChanged.model_validate_json(body)
            else:
                message = CountersChanged.model_validate(body)
        except ValidationError as exc:
            _log.warning("unreadable counters.changed message: %s", exc.errors()[:3])
            unreadable += 1
            continue
        if message.version != topics.COUNTERS_CHANGED_VERSION:
            _log.warning("counters.changed message of unknown version %s", message.version)
            unreadable += 1
            continue
        days.update(day for change in message.changes for day in change.days)
        territories.update(change.territory_id for change in message.changes)
        if latest is None or message.committed_at > latest:
            latest = message.committed_at
    return Heard(
        days=sorted(days),
        territories=sorted(territories),
        committed_at=latest,
        unreadable=unreadable,
    )


async def record(conn: Conn, heard: Heard) -> None:
    """Mark the days dirty, move the versions of the territories changed (and of those above
    them) on, move `as_of` on, and ask for a full rebuild after an unreadable message, in one
    transaction: `as_of` never runs ahead of the days it covers, and a version never moves
    before the change it tags can be read (see api.polling)."""
    async with conn.transaction():
        if heard.days:
            await repository.add_dirty_days(conn, heard.days)
        if heard.territories:
            await repository.bump_versions(conn, heard.territories)
        if heard.committed_at is not None:
            await repository.heard_until(conn, heard.committed_at)
        if heard.unreadable:
            await repository.ask_full_rebuild(conn)


class ChangesFollower:
    """Reporting's subscriber to counters.changed.v1, in its own consumer group: registered on
    the broker when the app is built, given the pool by `open` before the broker starts."""

    def __init__(self) -> None:
        self._pool: asyncpg.Pool | None = None
        self._woken: Callable[[], None] = lambda: None
        self._subscriber: BatchSubscriber | None = None
        self._checked = asyncio.Event()

    def subscribe(self, broker: KafkaBroker, *, group_id: str, session_timeout_ms: int) -> None:
        """Register the batch subscriber."""
        self._subscriber = broker.subscriber(
            topics.COUNTERS_CHANGED,
            group_id=group_id,
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=max(session_timeout_ms // 5, 500),
            batch=True,
            max_records=MAX_MESSAGES,
            auto_offset_reset="earliest",
            # Offsets are committed after the handler, and rewound when it fails.
            ack_policy=AckPolicy.NACK_ON_ERROR,
            listener=_GapListener(self),
        )
        self._subscriber(self.handle)

    def open(self, pool: asyncpg.Pool, *, on_full_rebuild: Callable[[], None]) -> None:
        """Use this pool; `on_full_rebuild` is called once a full rebuild has been asked."""
        self._pool, self._woken = pool, on_full_rebuild

    async def handle(self, bodies: list[Any]) -> None:
        """Record what a batch of messages tells."""
        heard = read_messages(bodies)
        await self._with_database(lambda conn: record(conn, heard))
        if heard.unreadable:
            self._woken()

    async def offsets_checked(self, *, timeout_s: float = CHECK_WAIT_S) -> None:
        """Wait until the first assignment's offsets are checked (and a full rebuild asked if
        need be), so that the roll-ups' first refresh knows; at most `timeout_s`."""
        try:
            await asyncio.wait_for(self._checked.wait(), timeout_s)
        except TimeoutError:
            _log.warning("counters.changed.v1: no partition assignment after %.0f s", timeout_s)

    async def check_offsets(self, assigned: set[TopicPartition]) -> None:
        """Ask for a full rebuild if some assigned partition may hide unheard changes."""
        try:
            consumer = self._subscriber.consumer if self._subscriber is not None else None
            if consumer is not None and assigned:
                await self._check_offsets(consumer, assigned)
        finally:
            self._checked.set()

    async def _check_offsets(
        self, consumer: AIOKafkaConsumer, assigned: set[TopicPartition]
    ) -> None:
        try:
            first = await consumer.beginning_offsets(list(assigned))
            missed = {}
            for tp in assigned:
                committed = await consumer.committed(tp)
                if committed is None or committed < first[tp]:
                    missed[tp] = first[tp]
        except KafkaError as exc:
            _log.warning("could not read the committed offsets (%r): assuming a gap", exc)
            await self._ask_full_rebuild(assigned)
            return
        if not missed:
            return
        await self._ask_full_rebuild(set(missed))
        # Reading starts there anyway; committed once the rebuild is asked (a crash in between
        # leaves the request in the database), so that a restart before any message arrives
        # does not rebuild again.
        try:
            await consumer.commit(missed)
        except KafkaError as exc:
            _log.warning("could not commit the starting offsets (%r)", exc)

    async def _ask_full_rebuild(self, partitions: set[TopicPartition]) -> None:
        await self._with_database(repository.ask_full_rebuild)
        self._woken()
        _log.warning(
            "counters.changed.v1: no usable committed offset for %s; a full rebuild of the "
            "roll-ups is asked",
            ", ".join(sorted(f"{tp.topic}[{tp.partition}]" for tp in partitions)),
        )

    async def _with_database(self, work: Callable[[Conn], Awaitable[None]]) -> None:
        """Run `work` on a connection, retrying while the database fails: meanwhile the
        offsets stay where they are."""
        assert self._pool is not None, "open() gives the pool before the broker starts"
        delay = 0.5
        while True:
            try:
                async with self._pool.acquire() as conn:
                    await work(conn)
                return
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                _log.warning("counters.changed: database unavailable (%r), retrying", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)


class _GapListener(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    """Checks each new assignment's committed offsets."""

    def __init__(self, follower: ChangesFollower) -> None:
        self._follower = follower

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        """Nothing to do: offsets are committed after each batch."""

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """Ask for a full rebuild when an assigned partition may hide unheard changes."""
        await self._follower.check_offsets(assigned)
