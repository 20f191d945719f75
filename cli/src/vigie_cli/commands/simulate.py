"""`vigie simulate`: the demo feed. Fictional landlords post realistic incidents through the
intake API: first ~90 days of history when the database holds few incidents, then a live feed.

Environment, besides docs/contract.md §1: INTAKE_URL and INTAKE_TOKEN (else the admin token and the
run file of `vigie run`); VIGIE_SIMULATE_BACKFILL (`auto`: 6,000 historical events when the
database holds fewer than 1,000 incidents; a number: that many, always; `0`: none);
VIGIE_SIMULATE_SEED (the same seed gives the same incidents)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections.abc import Awaitable, Mapping
from contextlib import suppress
from datetime import UTC, datetime
from typing import TypeVar

import asyncpg

from vigie.platform.settings import VigieSettings
from vigie.platform.territories import parse_territories, reference_csv
from vigie_cli.console import console, err_console, progress_bar
from vigie_cli.demo.feed import FeedStats, LandlordSystem, Reporter, live_feed, send_history
from vigie_cli.demo.scenario import Scenario
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
RETRY_NOTICE_EVERY_S = 10.0

COUNT_INCIDENTS = "SELECT count(*) FROM incidents"
KNOWN_QPVS = "SELECT territory_id FROM territories WHERE kind = 'qpv'"

T = TypeVar("T")


async def simulate(*, rate: float, duration: float | None) -> None:
    """Post history if needed, then live events at `rate`/s until `duration` or a stop signal."""
    if rate <= 0:
        raise CliError("--rate must be positive")
    env = dict(os.environ)
    seed = _seed(env)
    stop, abort = asyncio.Event(), asyncio.Event()
    _on_stop_signals(stop, abort)
    target = await _unless_stopped(
        find_intake(env, wait_s=FIND_INTAKE_S, on_wait=_tell_waiting), stop
    )
    if target is None:
        console.print("simulate: stopped before intake was reachable; nothing sent")
        return
    count, known = await _database_facts()
    territories = parse_territories(reference_csv()).territories.values()
    try:
        scenario = Scenario(seed=seed, territories=territories, available=known)
    except ValueError as exc:
        raise CliError(f"simulate: {exc}") from None
    console.print(
        f"simulate: {len(scenario.landlords)} demo landlords in "
        f"{len({s.territory_id for s in scenario.sites})} QPVs → {target.url} "
        f"(seed {seed}, {rate:g} events/s)",
        soft_wrap=True,
    )
    stats = FeedStats()
    reporter = Reporter(stats, lambda line: err_console.print(line, markup=False, soft_wrap=True))
    loop = asyncio.get_running_loop()
    started = loop.time()
    watchdog = asyncio.create_task(_abort_after_stop(stop, abort))
    try:
        async with _client(target, abort) as client:
            history = _history_size(env, incidents=count)
            if history and not stop.is_set():
                await _history(scenario, history, client=client, reporter=reporter, stop=stop)
            if not stop.is_set():
                await _live(
                    scenario,
                    client=client,
                    reporter=reporter,
                    rate=rate,
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
    size: int,
    *,
    client: IntakeClient,
    reporter: Reporter,
    stop: asyncio.Event,
) -> None:
    """Draw the history and post it with a progress bar."""
    postings = scenario.history(count=size, now=datetime.now(UTC), days=HISTORY_DAYS)
    with progress_bar(f"history ({HISTORY_DAYS} days)") as update:
        await send_history(postings, client=client, reporter=reporter, progress=update, stop=stop)


async def _live(
    scenario: Scenario,
    *,
    client: IntakeClient,
    reporter: Reporter,
    rate: float,
    duration: float | None,
    stop: asyncio.Event,
    abort: asyncio.Event,
) -> None:
    """Run the landlord systems beside the event clock; drain their queues at the end."""
    systems = {
        landlord_id: LandlordSystem(landlord, client=client, reporter=reporter, stop=stop)
        for landlord_id, landlord in scenario.landlords.items()
    }
    done = asyncio.Event()
    tasks = [asyncio.create_task(system.run(done)) for system in systems.values()]
    try:
        await live_feed(
            scenario,
            systems=systems,
            stats=reporter.stats,
            rate=rate,
            duration=duration,
            stop=stop,
        )
    finally:
        done.set()
        _, late = await asyncio.wait(tasks, timeout=DRAIN_AFTER_DURATION_S)
        if late:
            abort.set()  # pending retries give up; their events count as unsent
            await asyncio.wait(late)


def _history_size(env: Mapping[str, str], *, incidents: int | None) -> int:
    """How many historical events to post first (VIGIE_SIMULATE_BACKFILL)."""
    value = (env.get("VIGIE_SIMULATE_BACKFILL") or "auto").strip().lower()
    if value != "auto":
        try:
            return max(0, int(value))
        except ValueError:
            raise CliError("VIGIE_SIMULATE_BACKFILL must be 'auto' or a number") from None
    if incidents is None:
        console.print("simulate: cannot count the stored incidents; no history posted")
        return 0
    return HISTORY_DEFAULT if incidents < FEW_INCIDENTS else 0


def _seed(env: Mapping[str, str]) -> int:
    """VIGIE_SIMULATE_SEED, else a fresh random seed."""
    value = env.get("VIGIE_SIMULATE_SEED")
    if not value:
        # A new seed per run: a restarted feed must not repeat the event_ids it sent before.
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
