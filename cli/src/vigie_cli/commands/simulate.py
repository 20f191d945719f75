"""`vigie simulate`: the demo feed. Fictional landlords post realistic incidents through the
intake API: first ~90 days of history, once per data directory, then a live feed that goes on at
the history's pace (~67 events a day). So that a newcomer sees something at once, the history
stops 6 hours short of now and the live feed replays them at a "demo speed" (×60) until it has
caught up; a restart resumes the world's clock where it stopped (6 hours back at most).

What the feed did is remembered in `$VIGIE_DATA_DIR/demo-feed.json` (demo/state.py): the seed of
its world, whether its history was posted whole, and the streams of that seed already drawn.
Posting the history again draws the same stream: the same event ids, which intake and the
aggregator count once. The first run's live events continue its history's stream (stream 0);
each later run draws a stream of its own.

Environment, besides docs/contract.md §1: INTAKE_URL and INTAKE_TOKEN (else the admin token and the
run file of `vigie run`); VIGIE_SIMULATE_BACKFILL (`auto`: 6,000 historical events when this data
directory's feed has not posted its history whole and, the first time, the database holds fewer
than 1,000 incidents; a number: that many of the seed's history, always; `0`: none);
VIGIE_SIMULATE_SEED (the same seed gives the same world and history; a data directory keeps the
seed of its first run); VIGIE_SIMULATE_SPEED (the demo speed of the replay, 60)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections.abc import Awaitable, Mapping
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import asyncpg

from vigie.platform.settings import VigieSettings
from vigie.platform.territories import parse_territories, reference_csv
from vigie_cli.console import console, err_console, progress_bar
from vigie_cli.demo.feed import (
    FeedStats,
    LandlordSystem,
    Reporter,
    WorldClock,
    live_feed,
    send_history,
)
from vigie_cli.demo.scenario import PARIS, Scenario
from vigie_cli.demo.state import FeedState, load_state, save_state
from vigie_cli.errors import CliError
from vigie_cli.intake_client import GaveUp, IntakeClient, IntakeError
from vigie_cli.intake_target import IntakeTarget, find_intake

FIND_INTAKE_S = 30.0  # `vigie run` may still be starting intake
DRAIN_S = 5.0  # after a stop signal, queued events get this long to reach intake
# At the end of --duration nobody is waiting for a prompt exit: queued events get a minute.
DRAIN_AFTER_DURATION_S = 60.0
HISTORY_DEFAULT = 6_000
HISTORY_DAYS = 90
FEW_INCIDENTS = 1_000
REPLAY = timedelta(hours=6)  # replayed at demo speed: a newcomer sees incidents come in at once
DEMO_SPEED = 60.0
WORLD_EVENTS_PER_DAY = HISTORY_DEFAULT / HISTORY_DAYS  # the live feed goes on at this pace
RETRY_NOTICE_EVERY_S = 10.0

COUNT_INCIDENTS = "SELECT count(*) FROM incidents"
KNOWN_QPVS = "SELECT territory_id FROM territories WHERE kind = 'qpv'"

T = TypeVar("T")


async def simulate(*, rate: float | None, duration: float | None) -> None:
    """Post the history unless this data directory's feed did, then live events on the world's
    clock (or at `rate` per second) until `duration` or a stop signal."""
    if rate is not None and rate <= 0:
        raise CliError("--rate must be positive")
    env = dict(os.environ)
    speed = _speed(env)
    data_dir = VigieSettings().data_dir
    state = load_state(data_dir)
    seed = _seed(env, state)
    stop, abort = asyncio.Event(), asyncio.Event()
    _on_stop_signals(stop, abort)
    target = await _unless_stopped(
        find_intake(env, wait_s=FIND_INTAKE_S, on_wait=_tell_waiting), stop
    )
    if target is None:
        console.print("simulate: stopped before intake was reachable; nothing sent")
        return
    count, known = await _database_facts()
    territories = list(parse_territories(reference_csv()).territories.values())
    try:
        world = Scenario(seed=seed, territories=territories, available=known)
    except ValueError as exc:
        raise CliError(f"simulate: {exc}") from None
    console.print(
        f"simulate: {len(world.landlords)} demo landlords in "
        f"{len({s.territory_id for s in world.sites})} QPVs → {target.url} (seed {seed})",
        soft_wrap=True,
    )
    state = state or FeedState(seed=seed)
    history = _history_size(env, incidents=count, state=state)
    stats = FeedStats()
    reporter = Reporter(stats, lambda line: err_console.print(line, markup=False, soft_wrap=True))
    loop = asyncio.get_running_loop()
    started = loop.time()
    watchdog = asyncio.create_task(_abort_after_stop(stop, abort))
    try:
        async with _client(target, abort) as client:
            live: Scenario | None = None
            if history and not stop.is_set():
                fresh = _plan_history(state, size=history, now=datetime.now(UTC))
                save_state(data_dir, state)
                past = Scenario(
                    seed=seed, stream=state.history_stream, territories=territories, available=known
                )
                await _history(past, state, client=client, reporter=reporter, stop=stop)
                state.history_done = not stop.is_set() and not stats.unsent
                save_state(data_dir, state)
                # A stream first drawn in this run goes on live; one drawn before may have.
                live = past if fresh else None
            if not stop.is_set():
                if live is None:
                    live = Scenario(
                        seed=seed, stream=state.take_stream(), territories=territories,
                        available=known,
                    )  # fmt: skip
                await _live(
                    live,
                    state,
                    data_dir=data_dir,
                    client=client,
                    reporter=reporter,
                    pace=_pace(state, rate=rate, speed=speed),
                    stop=stop,
                    duration=duration,
                    abort=abort,
                )
    except GaveUp:
        pass  # stopped while intake was away: the summary counts what was not sent
    except IntakeError as exc:
        stats.fatal = str(exc)
    finally:
        watchdog.cancel()
    console.print(stats.summary(elapsed_s=loop.time() - started), soft_wrap=True)
    if stats.fatal:
        raise CliError(f"intake refused the demo feed: {stats.fatal}")


def _plan_history(state: FeedState, *, size: int, now: datetime) -> bool:
    """Record the history about to be posted: the one posted before again (the very same
    events) if it was unfinished or is the auto one, else `size` events up to REPLAY before
    now from a new stream. True when the stream is new."""
    again = state.history_until is not None and state.history_events == size
    state.history_done = False
    if again:
        return False
    state.history_until = now - REPLAY
    state.history_events = size
    state.history_stream = state.take_stream()
    return True


def _pace(state: FeedState, *, rate: float | None, speed: float) -> tuple[WorldClock, timedelta]:
    """The live feed's clock and the world time between two events: the history's pace, from
    where the world stopped (REPLAY back at most) at demo speed; or `rate` per second, now."""
    now = datetime.now(UTC)
    if rate is not None:
        return WorldClock(start=now, wall_start=now), timedelta(seconds=1 / rate)
    interval = timedelta(days=1) / WORLD_EVENTS_PER_DAY
    resume = state.clock or state.history_until or now - REPLAY
    start = min(now, max(resume, now - REPLAY)) if speed > 1 else now
    return WorldClock(start=start, wall_start=now, speed=speed), interval


def pace_line(env: Mapping[str, str]) -> str:
    """How the demo world's live feed goes, for `vigie run`'s banner."""
    return (
        f"live at the history's pace (~{WORLD_EVENTS_PER_DAY:.0f} events a day), "
        f"the last {REPLAY.total_seconds() / 3600:.0f} hours replayed at demo speed "
        f"×{_speed(env):g} first"
    )


async def _abort_after_stop(stop: asyncio.Event, abort: asyncio.Event) -> None:
    """After a stop signal, queued events get DRAIN_S to reach intake; then retries end."""
    await stop.wait()
    await asyncio.sleep(DRAIN_S)
    abort.set()


def _tell_waiting(reason: str) -> None:
    """Say once why the feed has not started yet."""
    err_console.print(
        f"simulate: waiting up to {FIND_INTAKE_S:.0f} s for intake ({reason})",
        markup=False,
        soft_wrap=True,
    )


def _client(target: IntakeTarget, abort: asyncio.Event) -> IntakeClient:
    """The intake client of the feed: patient until `abort`, telling about retries now and then."""
    last = [-RETRY_NOTICE_EVERY_S]

    def notice(reason: str, delay: float) -> None:
        now = asyncio.get_running_loop().time()
        if now - last[0] >= RETRY_NOTICE_EVERY_S:
            last[0] = now
            err_console.print(
                f"simulate: {reason}; retrying in {delay:.1f} s (same event ids)", soft_wrap=True
            )

    return IntakeClient(
        url=target.url, token=target.token or "", patience_s=None, stop=abort, on_retry=notice
    )


async def _unless_stopped(work: Awaitable[T], stop: asyncio.Event) -> T | None:
    """The result of `work`, or None when `stop` is set first (Ctrl-C while waiting)."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
    return None


async def _history(
    scenario: Scenario,
    state: FeedState,
    *,
    client: IntakeClient,
    reporter: Reporter,
    stop: asyncio.Event,
) -> None:
    """Draw the history the state records and post it with a progress bar."""
    assert state.history_until is not None
    postings = scenario.history(
        count=state.history_events, now=state.history_until, days=HISTORY_DAYS
    )
    with progress_bar(f"history ({HISTORY_DAYS} days)") as update:
        await send_history(postings, client=client, reporter=reporter, progress=update, stop=stop)


async def _live(
    scenario: Scenario,
    state: FeedState,
    *,
    data_dir: Path,
    client: IntakeClient,
    reporter: Reporter,
    pace: tuple[WorldClock, timedelta],
    duration: float | None,
    stop: asyncio.Event,
    abort: asyncio.Event,
) -> None:
    """Run the landlord systems beside the world's clock; drain their queues at the end."""
    clock, interval = pace
    _tell_pace(clock, interval)
    systems = {
        landlord_id: LandlordSystem(landlord, client=client, reporter=reporter, stop=stop)
        for landlord_id, landlord in scenario.landlords.items()
    }
    saved = [0.0]

    def reached(world: datetime) -> None:
        state.clock = world
        now = asyncio.get_running_loop().time()
        if now - saved[0] >= 1.0:  # at most once a second: --rate may be high
            saved[0] = now
            save_state(data_dir, state)

    save_state(data_dir, state)  # the stream is taken, even if no event comes
    done = asyncio.Event()
    tasks = [asyncio.create_task(system.run(done)) for system in systems.values()]
    try:
        await live_feed(
            scenario,
            systems=systems,
            stats=reporter.stats,
            clock=clock,
            interval=interval,
            duration=duration,
            stop=stop,
            reached=reached,
        )
    finally:
        state.clock = clock.at(datetime.now(UTC))
        save_state(data_dir, state)
        done.set()
        _, late = await asyncio.wait(tasks, timeout=DRAIN_AFTER_DURATION_S)
        if late:
            abort.set()  # pending retries give up; their events count as unsent
            await asyncio.wait(late)


def _tell_pace(clock: WorldClock, interval: timedelta) -> None:
    """Say how fast the live feed goes, and whether it runs at demo speed for a while."""
    per_day = timedelta(days=1) / interval
    if clock.start >= clock.wall_start:
        ratio = per_day / WORLD_EVENTS_PER_DAY
        note = f", {ratio:,.0f}× the history's daily volume" if ratio >= 2 else ""
        console.print(f"simulate: live, {per_day:,.0f} events a day{note}", soft_wrap=True)
        return
    until = clock.caught_up_at().astimezone(PARIS).strftime("%H:%M")
    hours, minutes = divmod(round((clock.wall_start - clock.start).total_seconds() / 60), 60)
    console.print(
        f"simulate: live at the history's pace ({per_day:.0f} events a day); demo speed "
        f"×{clock.speed:g}: replaying the last {hours} h {minutes:02d} until {until}, "
        "then real time",
        soft_wrap=True,
    )


def _history_size(env: Mapping[str, str], *, incidents: int | None, state: FeedState) -> int:
    """How many historical events to post first (VIGIE_SIMULATE_BACKFILL)."""
    value = (env.get("VIGIE_SIMULATE_BACKFILL") or "auto").strip().lower()
    if value != "auto":
        try:
            return max(0, int(value))
        except ValueError:
            raise CliError("VIGIE_SIMULATE_BACKFILL must be 'auto' or a number") from None
    if state.history_events:
        # Unfinished, or posted whole to a database emptied since: the seed's history (again;
        # the same event ids count once). Else it is there, counted or still on its way.
        return state.history_events if not state.history_done or incidents == 0 else 0
    if incidents is None:
        console.print("simulate: cannot count the stored incidents; no history posted")
        return 0
    return HISTORY_DEFAULT if incidents < FEW_INCIDENTS else 0


def _speed(env: Mapping[str, str]) -> float:
    """VIGIE_SIMULATE_SPEED: how much faster than real time the replay runs."""
    value = env.get("VIGIE_SIMULATE_SPEED") or str(DEMO_SPEED)
    try:
        speed = float(value)
    except ValueError:
        speed = 0.0
    if speed < 1:
        raise CliError("VIGIE_SIMULATE_SPEED must be a number, 1 or more")
    return speed


def _seed(env: Mapping[str, str], state: FeedState | None) -> int:
    """The seed of this data directory's demo world, else VIGIE_SIMULATE_SEED, else a new one."""
    value = env.get("VIGIE_SIMULATE_SEED")
    if state is not None:
        if value and value.strip() != str(state.seed):
            err_console.print(
                f"simulate: this data directory's demo world has seed {state.seed}; "
                f"VIGIE_SIMULATE_SEED={value} ignored",
                markup=False,
                soft_wrap=True,
            )
        return state.seed
    if not value:
        # Each later run draws a new stream of this seed: no event_id is ever sent twice.
        return random.SystemRandom().getrandbits(48)
    try:
        return int(value)
    except ValueError:
        raise CliError("VIGIE_SIMULATE_SEED must be an integer") from None


async def _database_facts() -> tuple[int | None, frozenset[str] | None]:
    """How many incidents the database holds, and its QPVs; (None, None) when unreachable."""
    settings = VigieSettings().with_running_instance()
    if not settings.database_url:
        return None, None
    try:
        conn = await asyncpg.connect(settings.database_url, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return None, None
    try:
        known = frozenset(r["territory_id"] for r in await conn.fetch(KNOWN_QPVS)) or None
        count: int | None = None
        with suppress(asyncpg.PostgresError):
            count = await conn.fetchval(COUNT_INCIDENTS)
        return count, known
    except asyncpg.PostgresError:
        return None, None
    finally:
        await conn.close()


def _on_stop_signals(stop: asyncio.Event, abort: asyncio.Event) -> None:
    """Ctrl-C / SIGTERM stop the feed cleanly; a second one stops waiting for intake."""

    def handle() -> None:
        if stop.is_set():
            abort.set()
        stop.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, handle)
