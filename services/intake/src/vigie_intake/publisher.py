"""Publishing accepted events to `incidents.v1`, keyed by territory, with a bounded wait.

Decisions:
- One producer per process: FastStream's KafkaBroker (so its Prometheus middleware measures
  every publish), configured with `acks="all"` and `enable_idempotence=False` (the local broker
  has no idempotent producer; duplicates are harmless since `event_id` is the idempotency key).
- Every send is handed to the producer without waiting (`no_confirm=True`), then all the
  acknowledgements are awaited together: a batch costs one round of broker requests, not one
  per event, and concurrent single-event requests share batches.
- The whole publish is bounded by `timeout_s` (< 2 s): a dead broker gives BrokerUnavailable
  (→ 503 + Retry-After) instead of a hang. Futures are waited on, never cancelled, so aiokafka
  may still deliver a message after we answered 503: the sender retries with the same event_id
  and the duplicate counts once. Nothing accepted (202) is unacknowledged.
- Recovery needs no code: aiokafka reconnects and refreshes metadata by itself once the broker
  answers again (tested by stopping and restarting the broker).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker

from vigie import topics


class BrokerUnavailable(Exception):
    """The broker did not acknowledge in time, or refused."""


def _consume_outcome(future: asyncio.Future[object]) -> None:
    # A send we stopped waiting for may fail later: read its exception so asyncio does not log
    # "exception was never retrieved" for each one.
    if not future.cancelled():
        future.exception()


class IncidentPublisher:
    """Sends (key, value) pairs to the incidents topic and waits for the broker's acks."""

    def __init__(
        self, broker: KafkaBroker, *, timeout_s: float, topic: str = topics.INCIDENTS
    ) -> None:
        self._broker = broker
        self._timeout_s = timeout_s
        self._topic = topic

    async def publish(self, records: Sequence[tuple[bytes, bytes]]) -> None:
        """Publish every record; return once all are acknowledged, else raise BrokerUnavailable."""
        if not records:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout_s
        futures: list[asyncio.Future[object]] = []
        try:
            async with asyncio.timeout_at(deadline):
                for key, value in records:
                    # Returns once the record is in the producer's buffer (it waits for
                    # metadata and buffer space, which is where a dead broker blocks).
                    futures.append(
                        await self._broker.publish(value, self._topic, key=key, no_confirm=True)
                    )
        except TimeoutError:
            self._abandon(futures)
            raise BrokerUnavailable("the broker did not take the events in time") from None
        except KafkaError as exc:
            self._abandon(futures)
            raise BrokerUnavailable(f"the broker refused: {type(exc).__name__}") from exc
        remaining = max(0.0, deadline - loop.time())
        done, pending = await asyncio.wait(futures, timeout=remaining)
        if pending:
            self._abandon(list(pending))
            self._abandon([f for f in done if f.exception() is not None])
            raise BrokerUnavailable("the broker did not acknowledge in time")
        for future in done:
            error = future.exception()
            if error is not None:
                self._abandon(list(done))
                raise BrokerUnavailable(f"the broker refused: {type(error).__name__}") from error

    @staticmethod
    def _abandon(futures: list[asyncio.Future[object]]) -> None:
        for future in futures:
            future.add_done_callback(_consume_outcome)
