"""The delivery worker: claims due notifications from the outbox, sends them concurrently, and
records each outcome (delivered, retry later with backoff, or failed for good)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from vigie_alerts.clock import Clock, system_clock
from vigie_alerts.delivery import repository, webhook
from vigie_alerts.delivery.email import render_email, send_email
from vigie_alerts.delivery.outcome import Failure, describe, failure
from vigie_alerts.delivery.repository import Claimed, Endpoint
from vigie_alerts.delivery.signalement import render_signalement
from vigie_alerts.metrics import AlertsMetrics
from vigie_alerts.mobilisations import repository as mobilisations
from vigie_alerts.settings import AlertsSettings

log = logging.getLogger(__name__)

MAX_RETRY_DELAY_S = 3600.0
IDLE_WAIT_S = 1.0  # the longest sleep between looks at the outbox when nobody wakes us
MIN_WAIT_S = 0.05  # rows due but locked by a replica's claim: look again soon, not in a spin
MAX_ERROR_BACKOFF_S = 30.0
# Woken while sends are in flight (one just finished), wait this long before claiming, so that
# the sends finishing meanwhile share one claim: in a burst, claiming for each finished send
# would cost the database a statement per notification.
CLAIM_GATHER_S = 0.002
# Claiming ahead (see DeliveryWorker.__init__) needs a lease this many send timeouts long.
AHEAD_ROUNDS = 4
# One endpoint (subscription and channel) gets at most this share of the slots at a time. Each
# send to a dead endpoint lasts the whole timeout while a live one's last milliseconds: without
# a cap, a dead endpoint with a backlog ends up holding every slot and the live ones starve.
# With 32 slots, 4 each: a live endpoint still gets up to 4 sends at once, and it takes eight
# dead endpoints to hold every slot.
ENDPOINT_SHARE = 8


def per_endpoint_cap(concurrency: int) -> int:
    """How many sends one endpoint may have in flight out of `concurrency` slots."""
    return max(1, concurrency // ENDPOINT_SHARE)


class DeliveryWorker:
    """Sends the notifications of the alert_deliveries outbox, webhooks and e-mails."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        settings: AlertsSettings,
        metrics: AlertsMetrics,
        clock: Clock = system_clock,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._metrics = metrics
        self._clock = clock
        self._client = webhook.create_client(settings)
        self._slots = asyncio.Semaphore(settings.delivery_concurrency)
        self._per_endpoint = per_endpoint_cap(settings.delivery_concurrency)
        # Rows are claimed ahead, up to as many as the slots, to wait for one: the next sends
        # then never wait for a claim (claims one at a time, ~14 rows in ~6 ms, had capped a
        # burst at ~2,000 webhooks/s). A row waits at most one send's timeout per round of
        # slots, which must stay well within its lease; otherwise nothing is claimed ahead.
        ahead = settings.delivery_timeout_s * AHEAD_ROUNDS <= settings.delivery_lease_s
        self._claimable = settings.delivery_concurrency * (2 if ahead else 1)
        # Tasks from claim to recorded outcome; rows claimed and not yet sent, per endpoint (the
        # endpoint's cap counts them): its share frees up when the send ends, so that the next
        # claim overlaps the recording of the last ones.
        self._in_flight: set[asyncio.Task[None]] = set()
        self._busy: Counter[Endpoint] = Counter()
        self._gauge_refreshed = 0.0
        # Deliveries waiting to be marked together, the future their senders wait on, and the
        # task marking them (see _mark_delivered).
        self._delivered: list[tuple[int, datetime]] = []
        self._delivered_marked: asyncio.Future[None] | None = None
        self._marking: asyncio.Task[None] | None = None
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Look at the outbox now (call after committing new notifications)."""
        self._wakeup.set()

    def start(self) -> None:
        """Run `run_forever` in the background until `stop`."""
        if self._task is None:
            self._task = asyncio.create_task(self.run_forever(), name="alerts-delivery")

    async def stop(self) -> None:
        """Stop claiming, let sends in flight finish (each within the delivery timeout), give
        back claimed rows not yet sent, and close the HTTP client."""
        self._stopping.set()
        self._wakeup.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        await self._drain()
        await self._client.aclose()

    async def run_once(self) -> int:
        """Claim the due notifications that fit the free slots (and their endpoints' caps), send
        them, and wait for their outcomes; how many were claimed."""
        tasks = await self._claim_and_send()
        await asyncio.gather(*tasks)
        await self._refresh_gauge()
        return len(tasks)

    async def run_forever(self) -> None:
        """Claim and send as slots free up, sleeping until woken, a row falls due, or a second
        passes; database errors are logged and retried with backoff."""
        error_backoff = 1.0
        try:
            while not self._stopping.is_set():
                self._wakeup.clear()
                try:
                    await self._claim_and_send()
                    wait = await self._wait()
                    if time.monotonic() - self._gauge_refreshed >= IDLE_WAIT_S:
                        await self._refresh_gauge()
                    error_backoff = 1.0
                except Exception:
                    log.exception("delivery: outbox unavailable, retrying in %g s", error_backoff)
                    wait, error_backoff = error_backoff, min(error_backoff * 2, MAX_ERROR_BACKOFF_S)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wakeup.wait()
                if self._busy:
                    await asyncio.sleep(CLAIM_GATHER_S)
        finally:
            await self._drain()

    async def _wait(self) -> float:
        """How long to sleep unless woken: until the next row we could claim falls due."""
        if self._free_slots() <= 0:
            return IDLE_WAIT_S  # a finished send wakes us
        # Rows of endpoints at their cap wait for one of their sends to finish, which wakes us.
        full = [endpoint for endpoint, n in self._busy.items() if n >= self._per_endpoint]
        async with self._pool.acquire() as conn:
            next_due = await repository.next_due(conn, full=full)
        if next_due is None:
            return IDLE_WAIT_S
        until = (next_due - self._clock()).total_seconds()
        return min(max(until, MIN_WAIT_S), IDLE_WAIT_S)

    def _free_slots(self) -> int:
        """How many more rows to claim: the free slots, and as many again to wait for one."""
        return self._claimable - self._busy.total()

    async def _claim_and_send(self) -> list[asyncio.Task[None]]:
        # A claim cut short by an endpoint's cap (or a replica's locks) is followed by another,
        # until the slots and the rows waiting for one are full, or nothing more is due.
        tasks: list[asyncio.Task[None]] = []
        while (free := self._free_slots()) > 0 and not self._stopping.is_set():
            async with self._pool.acquire() as conn:
                claimed = await repository.claim_due(
                    conn,
                    now=self._clock(),
                    limit=free,
                    lease_s=self._settings.delivery_lease_s,
                    per_endpoint=self._per_endpoint,
                    in_flight=self._busy,
                )
            if not claimed:
                break
            for row in claimed:
                endpoint = (row.subscription_id, row.channel)
                self._busy[endpoint] += 1
                task = asyncio.create_task(self._deliver(row, endpoint))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
                tasks.append(task)
        return tasks

    def _sent(self, endpoint: Endpoint) -> None:
        # A slot is free (the outcome is still being recorded: the row keeps its lease until
        # then, so no claim can take it) and a retry may be due sooner than the loop's sleep:
        # look again (the wake-ups of sends finishing together make one pass).
        self._busy[endpoint] -= 1
        if self._busy[endpoint] <= 0:
            del self._busy[endpoint]
        self._wakeup.set()

    async def _drain(self) -> None:
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _refresh_gauge(self) -> None:
        # Counting the pending rows reads them all: done at most once per idle wait, not
        # after every claim.
        async with self._pool.acquire() as conn:
            outbox = await repository.outbox(conn)
        self._metrics.outbox_depth.labels(outbox="deliveries").set(outbox.pending)
        self._gauge_refreshed = time.monotonic()

    async def _deliver(self, row: Claimed, endpoint: Endpoint) -> None:
        try:
            try:
                async with self._slots:
                    if self._stopping.is_set():
                        await self._release(row)
                        return
                    outcome = await self._attempt(row)
            finally:
                self._sent(endpoint)
            await self._record(row, outcome)
        except Exception:
            # The row keeps its lease: it is sent again once the lease runs out.
            log.exception("delivery %s: outcome not recorded", row.id)

    async def _release(self, row: Claimed) -> None:
        async with self._pool.acquire() as conn:
            await repository.release(conn, [row], now=self._clock())

    async def _attempt(self, row: Claimed) -> Failure | None:
        timeout = self._settings.delivery_timeout_s
        try:
            async with asyncio.timeout(timeout):
                return await self._send(row)
        except TimeoutError:
            return failure(f"timeout after {timeout:g} s")
        except Exception as exc:  # a payload the renderer chokes on must not stop the others
            log.exception("delivery %s: send failed", row.id)
            return failure(describe(exc))

    async def _send(self, row: Claimed) -> Failure | None:
        if row.channel == "webhook":
            if not row.url:
                return failure("the subscription has no URL", permanent=True)
            return await webhook.post(
                self._client,
                url=row.url,
                secret=row.secret,
                delivery_id=row.dedup_key,
                payload=row.payload,
            )
        if not row.email:
            return failure("the subscription has no e-mail address", permanent=True)
        if row.payload.get("kind") == "mobilisation":
            # The report stored with the signalement: every attempt sends the same document.
            async with self._pool.acquire() as conn:
                pdf = await mobilisations.report(conn, UUID(row.payload["mobilisation_id"]))
            if pdf is None:
                return failure("the signalement was deleted with its alert", permanent=True)
            message = render_signalement(row.payload, pdf)
        else:
            message = render_email(row.payload)
        message["To"] = row.email
        message["X-Vigie-Delivery"] = row.dedup_key
        return await send_email(message, self._settings)

    async def _mark_delivered(self, delivery_id: int, at: datetime) -> None:
        """Mark a delivery, together with those finishing meanwhile: one statement marks all
        that finished while the previous one ran (alone, one finishes in one round trip; a
        burst costs a statement per batch, not per notification)."""
        if self._delivered_marked is None:
            self._delivered_marked = asyncio.get_running_loop().create_future()
        marked = self._delivered_marked
        self._delivered.append((delivery_id, at))
        if self._marking is None or self._marking.done():
            self._marking = asyncio.create_task(self._mark_batches())
        await marked

    async def _mark_batches(self) -> None:
        while self._delivered:
            batch, marked = self._delivered, self._delivered_marked
            self._delivered, self._delivered_marked = [], None
            assert marked is not None  # set with the batch's first delivery
            try:
                async with self._pool.acquire() as conn:
                    await repository.mark_delivered(conn, batch)
            except Exception as exc:
                marked.set_exception(exc)
            else:
                marked.set_result(None)

    async def _record(self, row: Claimed, outcome: Failure | None) -> None:
        now = self._clock()
        if outcome is None:
            await self._mark_delivered(row.id, now)
            self._metrics.notifications.labels(channel=row.channel, outcome="delivered").inc()
            if row.alert_id is not None:  # a silence summary is no crossing
                latency = max((now - row.changed_at).total_seconds(), 0.0)
                self._metrics.crossing_to_delivery_seconds.labels(channel=row.channel).observe(
                    latency
                )
            return
        final = outcome.permanent or row.attempt >= self._settings.max_attempts
        retry_at = None if final else now + self.retry_delay(row.attempt)
        async with self._pool.acquire() as conn:
            await repository.mark_failed(
                conn,
                delivery_id=row.id,
                attempt=row.attempt,
                at=now,
                error=outcome.reason,
                retry_at=retry_at,
            )
        result = "failed" if final else "retry"
        self._metrics.notifications.labels(channel=row.channel, outcome=result).inc()
        log.warning(
            "delivery %s (%s to %s, attempt %d): %s; %s",
            row.id,
            row.channel,
            row.subscription_id,
            row.attempt,
            outcome.reason,
            "given up" if final else f"retry at {retry_at:%H:%M:%S}",
        )

    def retry_delay(self, attempt: int) -> timedelta:
        """The wait after a failed attempt: retry_base_s doubling per attempt, at most 1 h."""
        seconds = self._settings.retry_base_s * 2.0 ** min(attempt - 1, 32)
        return timedelta(seconds=min(seconds, MAX_RETRY_DELAY_S))
