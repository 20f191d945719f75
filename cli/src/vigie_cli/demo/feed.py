"""The demo feed at work: each landlord system queues its events and posts them to intake,
in JSON batches or one by one; history is posted first, then live events on the world's clock."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from vigie_cli.demo.landlords import DemoLandlord
from vigie_cli.demo.scenario import Posting, Scenario
from vigie_cli.intake_client import BatchResult, GaveUp, IntakeClient, IntakeError

FLUSH_S = 1.0  # a batching system sends what it has every second…
MAX_BATCH = 200  # …or as soon as it has this many
HISTORY_BATCH = 500
SHOWN_REJECTIONS = 5

Say = Callable[[str], None]


@dataclass
class FeedStats:
    """What the feed did, for the summary line."""

    generated: Counter[str] = field(default_factory=Counter)
    accepted: int = 0
    rejected: int = 0
    unsent: int = 0
    fatal: str | None = None

    def summary(self, *, elapsed_s: float) -> str:
        """One line: what was sent and what became of it."""
        kinds = self.generated
        total = sum(kinds.values())
        return (
            f"simulate: {total:,} events in {_duration(elapsed_s)} — "
            f"{self.accepted:,} accepted, {self.rejected:,} rejected, {self.unsent:,} unsent "
            f"({kinds['reported']:,} reports, {kinds['corrected']:,} corrections, "
            f"{kinds['withdrawn']:,} withdrawals, {kinds['resend']:,} re-sends)"
        )


def _duration(seconds: float) -> str:
    """Seconds as people read them: 4.2 s, 2 min 05 s."""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{seconds:.1f} s"


class Reporter:
    """Counts results and tells the user about rejections, without flooding the terminal."""

    def __init__(self, stats: FeedStats, say: Say) -> None:
        self.stats = stats
        self.say = say
        self._shown = 0

    def batch(self, postings: Sequence[Posting], result: BatchResult) -> None:
        """Record intake's answer to a batch."""
        self.stats.accepted += result.accepted
        self.stats.rejected += len(result.rejected)
        for rejection in result.rejected:
            event_id = rejection.event_id
            if event_id is None and 0 <= rejection.index < len(postings):
                event_id = postings[rejection.index].event.get("event_id")
            self._show(
                str(event_id), "; ".join(f"{e.field}: {e.message}" for e in rejection.errors)
            )

    def single(self, posting: Posting, errors: str | None) -> None:
        """Record intake's answer to one event."""
        if errors is None:
            self.stats.accepted += 1
            return
        self.stats.rejected += 1
        self._show(str(posting.event.get("event_id")), errors)

    def _show(self, event_id: str, errors: str) -> None:
        """Print a rejection, the first few only."""
        if self._shown < SHOWN_REJECTIONS:
            self.say(f"rejected {event_id}: {errors}")
        elif self._shown == SHOWN_REJECTIONS:
            self.say("(further rejections not shown)")
        self._shown += 1


class LandlordSystem:
    """One landlord's information system: a queue of events and the loop that posts it."""

    def __init__(
        self,
        landlord: DemoLandlord,
        *,
        client: IntakeClient,
        reporter: Reporter,
        stop: asyncio.Event,
    ) -> None:
        self.landlord = landlord
        self.client = client
        self.reporter = reporter
        self.pending: deque[Posting] = deque()
        self._stop = stop
        self._wake = asyncio.Event()

    def put(self, posting: Posting) -> None:
        """Queue an event for sending."""
        self.pending.append(posting)
        if not self.landlord.batches or len(self.pending) >= MAX_BATCH:
            self._wake.set()

    async def run(self, done: asyncio.Event) -> None:
        """Post queued events until `done` is set and the queue is empty."""
        while not (done.is_set() and not self.pending):
            if not self.pending or (self.landlord.batches and len(self.pending) < MAX_BATCH):
                await _first_of(self._wake, done, within=FLUSH_S)
            self._wake.clear()
            if not self.pending:
                continue
            take = [self.pending.popleft() for _ in range(min(MAX_BATCH, len(self.pending)))]
            try:
                await self._post(take)
            except GaveUp:
                break
            except IntakeError as exc:
                # A refused token or request will not get better by itself: stop the feed.
                self.reporter.stats.fatal = f"{self.landlord.landlord_id}: {exc}"
                self._stop.set()
                break
        self.reporter.stats.unsent += len(self.pending)
        self.pending.clear()

    async def _post(self, postings: list[Posting]) -> None:
        """Send the events; those not acknowledged go back to the front of the queue."""
        sent = 0
        try:
            if self.landlord.batches:
                result = await self.client.post_batch([p.event for p in postings])
                sent = len(postings)
                self.reporter.batch(postings, result)
                return
            for posting in postings:
                rejection = await self.client.post_event(posting.event)
                sent += 1
                errors = None
                if rejection is not None:
                    errors = "; ".join(f"{e.field}: {e.message}" for e in rejection.errors)
                self.reporter.single(posting, errors)
        finally:
            self.pending.extendleft(reversed(postings[sent:]))


async def _first_of(*events: asyncio.Event, within: float) -> None:
    """Wait until one of the events is set, or `within` seconds."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def send_history(
    postings: Sequence[Posting],
    *,
    client: IntakeClient,
    reporter: Reporter,
    progress: Callable[[int, int], None],
    stop: asyncio.Event | None = None,
) -> None:
    """Post the history, landlord by landlord, in JSON batches, until done or `stop`."""
    by_landlord: dict[str, list[Posting]] = {}
    for posting in postings:
        by_landlord.setdefault(posting.landlord_id, []).append(posting)
        reporter.stats.generated[posting.kind] += 1
    done = 0
    progress(done, len(postings))
    for landlord_postings in by_landlord.values():
        for start in range(0, len(landlord_postings), HISTORY_BATCH):
            if stop is not None and stop.is_set():
                reporter.stats.unsent += len(postings) - done
                return
            batch = landlord_postings[start : start + HISTORY_BATCH]
            try:
                result = await client.post_batch([p.event for p in batch])
            except GaveUp:
                reporter.stats.unsent += len(postings) - done
                raise
            reporter.batch(batch, result)
            done += len(batch)
            progress(done, len(postings))


@dataclass(frozen=True)
class WorldClock:
    """The demo world's time: from `start` (at most now) it runs `speed` times faster than the
    wall clock, from `wall_start` on, until it has caught up with it; then at the wall clock's."""

    start: datetime
    wall_start: datetime
    speed: float = 1.0

    def at(self, wall: datetime) -> datetime:
        """The world time at a wall time."""
        return min(wall, self.start + (wall - self.wall_start) * self.speed)

    def wall_time_of(self, world: datetime) -> datetime:
        """When the world reaches `world` by the wall clock."""
        fast = self.wall_start + (world - self.start) / self.speed
        return fast if self.at(fast) >= world else world

    def __post_init__(self) -> None:
        if self.start < self.wall_start and self.speed <= 1:
            raise ValueError("a world behind the wall clock needs a speed above 1 to catch up")

    def caught_up_at(self) -> datetime:
        """When the world has caught up with the wall clock."""
        lag = self.wall_start - self.start
        return self.wall_start + max(timedelta(0), lag / (self.speed - 1) if lag else lag)


async def live_feed(
    scenario: Scenario,
    *,
    systems: dict[str, LandlordSystem],
    stats: FeedStats,
    clock: WorldClock,
    interval: timedelta,
    duration: float | None,
    stop: asyncio.Event,
    reached: Callable[[datetime], None] = lambda _: None,
) -> None:
    """Hand an event to its landlord system every `interval` of world time, the first at once,
    until `duration` seconds or `stop`; tell `reached` the world time of each."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    due = clock.start
    while not stop.is_set():
        if duration is not None and loop.time() - start >= duration:
            break
        world = clock.at(datetime.now(UTC))
        while due <= world:
            posting = scenario.next(now=due)
            stats.generated[posting.kind] += 1
            systems[posting.landlord_id].put(posting)
            reached(due)
            due += interval
        wait = (clock.wall_time_of(due) - datetime.now(UTC)).total_seconds()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=min(0.5, max(0.01, wait)))
