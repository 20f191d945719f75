"""The feed machinery against a scripted intake: nothing lost, nothing sent twice by mistake."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest

from tests.support.cli import NOW
from vigie.platform.territories import Territory
from vigie_cli.commands.simulate import (
    HISTORY_DEFAULT,
    REPLAY,
    WORLD_EVENTS_PER_DAY,
    _history_size,
    _pace,
    _plan_history,
)
from vigie_cli.demo.feed import (
    FeedStats,
    LandlordSystem,
    Reporter,
    WorldClock,
    live_feed,
    send_history,
)
from vigie_cli.demo.landlords import DEMO_LANDLORDS
from vigie_cli.demo.scenario import Scenario
from vigie_cli.demo.state import FeedState, load_state, save_state
from vigie_cli.errors import CliError
from vigie_cli.intake_client import IntakeClient


class ScriptedIntake:
    """Answers 503 to the first `unavailable` requests, then accepts everything."""

    def __init__(self, *, unavailable: int = 0, refuse: bool = False) -> None:
        self.unavailable = unavailable
        self.refuse = refuse
        self.received: list[dict[str, object]] = []
        self.requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.refuse:
            return httpx.Response(403, json={"error": "forbidden", "detail": "not yours"})
        if self.unavailable > 0:
            self.unavailable -= 1
            return httpx.Response(503, headers={"Retry-After": "0"})
        body = orjson.loads(request.content)
        if request.url.path.endswith("/batch"):
            self.received.extend(body)
            rejected = [
                {"index": i, "event_id": e["event_id"], "errors": [{"field": "f", "message": "m"}]}
                for i, e in enumerate(body)
                if e.get("territory_id") == "QN-BAD"
            ]
            return httpx.Response(
                200, json={"accepted": len(body) - len(rejected), "rejected": rejected}
            )
        self.received.append(body)
        return httpx.Response(202, json={"event_id": body["event_id"], "status": "accepted"})

    def client(self, stop: asyncio.Event | None = None) -> IntakeClient:
        return IntakeClient(
            url="http://intake.test",
            token="t",
            transport=httpx.MockTransport(self),
            patience_s=None,
            stop=stop,
            seed=0,
        )


@pytest.fixture
def scenario(reference_territories: list[Territory]) -> Scenario:
    """A scenario with a fixed seed."""
    return Scenario(seed=11, territories=reference_territories)


async def test_history_reaches_intake_whole_despite_503s(scenario: Scenario) -> None:
    postings = scenario.history(count=1200, now=NOW)
    intake = ScriptedIntake(unavailable=3)
    stats = FeedStats()
    progress: list[tuple[int, int]] = []
    async with intake.client() as client:
        await send_history(
            postings,
            client=client,
            reporter=Reporter(stats, lambda _: None),
            progress=lambda done, total: progress.append((done, total)),
        )
    assert Counter(orjson.dumps(e) for e in intake.received) == Counter(
        orjson.dumps(p.event) for p in postings
    )
    assert stats.accepted == len(postings)
    assert progress[-1] == (1200, 1200)
    assert sum(stats.generated.values()) == 1200


@pytest.mark.parametrize("batches", [True, False])
async def test_a_landlord_system_sends_its_queue_once(scenario: Scenario, batches: bool) -> None:
    landlord = next(landlord for landlord in DEMO_LANDLORDS if landlord.batches is batches)
    postings = [
        p for p in scenario.history(count=800, now=NOW) if p.landlord_id == landlord.landlord_id
    ]
    intake = ScriptedIntake(unavailable=2)
    stats = FeedStats()
    stop, done = asyncio.Event(), asyncio.Event()
    async with intake.client() as client:
        system = LandlordSystem(
            landlord, client=client, reporter=Reporter(stats, lambda _: None), stop=stop
        )
        for posting in postings:
            system.put(posting)
        done.set()
        await asyncio.wait_for(system.run(done), timeout=30)
    assert [e["event_id"] for e in intake.received] == [p.event["event_id"] for p in postings]
    assert (stats.accepted, stats.unsent) == (len(postings), 0)


async def test_rejections_are_counted_and_shown(scenario: Scenario) -> None:
    postings = scenario.history(count=20, now=NOW)
    bad = postings[3].event | {"territory_id": "QN-BAD"}
    postings[3] = type(postings[3])(postings[3].landlord_id, "reported", bad)
    intake = ScriptedIntake()
    shown: list[str] = []
    stats = FeedStats()
    async with intake.client() as client:
        await send_history(
            postings,
            client=client,
            reporter=Reporter(stats, shown.append),
            progress=lambda *_: None,
        )
    assert (stats.accepted, stats.rejected) == (19, 1)
    assert shown == [f"rejected {bad['event_id']}: f: m"]


async def test_a_refusal_stops_the_feed_and_counts_unsent(scenario: Scenario) -> None:
    landlord = DEMO_LANDLORDS[0]
    intake = ScriptedIntake(refuse=True)
    stats = FeedStats()
    stop, done = asyncio.Event(), asyncio.Event()
    async with intake.client() as client:
        system = LandlordSystem(
            landlord, client=client, reporter=Reporter(stats, lambda _: None), stop=stop
        )
        for posting in scenario.history(count=10, now=NOW):
            system.put(posting)
        done.set()
        await asyncio.wait_for(system.run(done), timeout=30)
    assert stop.is_set()
    assert stats.fatal is not None
    assert "403" in stats.fatal
    assert stats.unsent == 10


async def test_an_abort_during_an_outage_counts_unsent(scenario: Scenario) -> None:
    landlord = DEMO_LANDLORDS[0]
    intake = ScriptedIntake(unavailable=10**6)
    stats = FeedStats()
    abort, done = asyncio.Event(), asyncio.Event()
    async with intake.client(stop=abort) as client:
        system = LandlordSystem(
            landlord, client=client, reporter=Reporter(stats, lambda _: None), stop=asyncio.Event()
        )
        for posting in scenario.history(count=7, now=NOW):
            system.put(posting)
        done.set()
        task = asyncio.create_task(system.run(done))
        await asyncio.sleep(0.1)
        abort.set()
        await asyncio.wait_for(task, timeout=10)
    assert (stats.accepted, stats.unsent) == (0, 7)


def _systems(
    scenario: Scenario, intake: ScriptedIntake, client: IntakeClient, stats: FeedStats
) -> dict[str, LandlordSystem]:
    return {
        landlord_id: LandlordSystem(
            landlord, client=client, reporter=Reporter(stats, lambda _: None), stop=asyncio.Event()
        )
        for landlord_id, landlord in scenario.landlords.items()
    }


async def test_live_feed_hands_every_event_to_its_landlord(scenario: Scenario) -> None:
    intake = ScriptedIntake()
    stats = FeedStats()
    now = datetime.now(UTC)
    async with intake.client() as client:
        systems = _systems(scenario, intake, client, stats)
        await live_feed(
            scenario,
            systems=systems,
            stats=stats,
            clock=WorldClock(start=now, wall_start=now),
            interval=timedelta(milliseconds=5),
            duration=0.2,
            stop=asyncio.Event(),
        )
    queued = [p for s in systems.values() for p in s.pending]
    assert len(queued) == sum(stats.generated.values()) > 0
    assert all(p.landlord_id == s.landlord.landlord_id for s in systems.values() for p in s.pending)


async def test_live_feed_replays_at_demo_speed_then_keeps_the_worlds_pace(
    scenario: Scenario,
) -> None:
    intake = ScriptedIntake()
    stats = FeedStats()
    now = datetime.now(UTC)
    # Ten world minutes behind, 6,000 times faster: caught up within 0.1 s; an event a minute.
    clock = WorldClock(start=now - timedelta(minutes=10), wall_start=now, speed=6000)
    reached: list[datetime] = []
    async with intake.client() as client:
        systems = _systems(scenario, intake, client, stats)
        await live_feed(
            scenario,
            systems=systems,
            stats=stats,
            clock=clock,
            interval=timedelta(minutes=1),
            duration=0.5,
            stop=asyncio.Event(),
            reached=reached.append,
        )
    # The replayed ten minutes, then nothing more: the world's next event is a minute away.
    assert reached == [clock.start + timedelta(minutes=k) for k in range(11)]
    times = [
        datetime.fromisoformat(p.event["occurred_at"])
        for s in systems.values()
        for p in s.pending
        if "occurred_at" in p.event
    ]
    assert times
    assert max(times) <= now


def test_world_clock_catches_up_then_follows_the_wall_clock() -> None:
    clock = WorldClock(start=NOW - timedelta(hours=6), wall_start=NOW, speed=60)
    assert clock.at(NOW) == clock.start
    assert clock.at(NOW + timedelta(minutes=1)) == clock.start + timedelta(hours=1)
    caught_up = clock.caught_up_at()
    assert caught_up - NOW == timedelta(hours=6) / 59
    assert clock.at(caught_up + timedelta(hours=1)) == caught_up + timedelta(hours=1)
    assert clock.wall_time_of(clock.start + timedelta(hours=1)) == NOW + timedelta(minutes=1)
    assert clock.wall_time_of(caught_up + timedelta(hours=1)) == caught_up + timedelta(hours=1)
    with pytest.raises(ValueError, match="speed"):
        WorldClock(start=NOW - timedelta(hours=1), wall_start=NOW, speed=1)


def test_live_pace_continues_the_history() -> None:
    until = datetime.now(UTC) - REPLAY + timedelta(minutes=1)  # a history posted a minute ago
    state = FeedState(seed=1, history_until=until, history_events=6000)
    clock, interval = _pace(state, rate=None, speed=60)
    # About 67 events a day, like the history; the replay starts where the history ends.
    assert interval == timedelta(days=1) / WORLD_EVENTS_PER_DAY
    assert 60 < WORLD_EVENTS_PER_DAY < 70
    assert (clock.start, clock.speed) == (state.history_until, 60)
    # A restart resumes the clock where it stopped, REPLAY back at most.
    state.clock = clock.wall_start - timedelta(minutes=30)
    assert _pace(state, rate=None, speed=60)[0].start == state.clock
    state.clock = clock.wall_start - timedelta(days=3)
    restarted = _pace(state, rate=None, speed=60)[0]
    assert restarted.wall_start - restarted.start == pytest.approx(REPLAY, abs=timedelta(seconds=5))
    # An explicit rate is real time, from now.
    fast, every = _pace(state, rate=5, speed=60)
    assert (fast.start, fast.speed, every) == (fast.wall_start, 1.0, timedelta(seconds=0.2))


def test_summary_line() -> None:
    stats = FeedStats(Counter(reported=90, corrected=5, withdrawn=1, resend=4), 98, 1, 1)
    assert stats.summary(elapsed_s=125) == (
        "simulate: 100 events in 2 min 05 s — 98 accepted, 1 rejected, 1 unsent "
        "(90 reports, 5 corrections, 1 withdrawals, 4 re-sends)"
    )


def test_history_size_setting() -> None:
    fresh = FeedState(seed=1)
    assert _history_size({}, incidents=0, state=fresh) == HISTORY_DEFAULT
    assert _history_size({}, incidents=50_000, state=fresh) == 0
    assert _history_size({"VIGIE_SIMULATE_BACKFILL": "auto"}, incidents=None, state=fresh) == 0
    assert _history_size({"VIGIE_SIMULATE_BACKFILL": "120"}, incidents=50_000, state=fresh) == 120
    assert _history_size({"VIGIE_SIMULATE_BACKFILL": "0"}, incidents=0, state=fresh) == 0
    with pytest.raises(CliError):
        _history_size({"VIGIE_SIMULATE_BACKFILL": "lots"}, incidents=0, state=fresh)


def test_a_restarted_feed_posts_no_second_history() -> None:
    posted = FeedState(seed=1, history_until=NOW, history_events=6000, history_done=True)
    # Restarted before the aggregator counted 1,000 of them, or long after: none.
    assert _history_size({}, incidents=12, state=posted) == 0
    assert _history_size({}, incidents=6000, state=posted) == 0
    assert _history_size({}, incidents=None, state=posted) == 0
    # The database was emptied since: the seed's history again (the same ids count once).
    assert _history_size({}, incidents=0, state=posted) == 6000
    # Stopped half-way: the same history again, exactly the same events.
    unfinished = FeedState(seed=1, history_until=NOW, history_events=6000)
    assert _history_size({}, incidents=3000, state=unfinished) == 6000
    later = NOW + timedelta(hours=2)
    assert _plan_history(unfinished, size=6000, now=later) is False
    assert (unfinished.history_until, unfinished.history_done) == (NOW, False)
    assert _plan_history(posted, size=6000, now=later) is False
    assert (posted.history_until, posted.history_stream) == (NOW, 0)
    # Another size asked for (VIGIE_SIMULATE_BACKFILL=N): a new history, from a new stream.
    posted.streams = 2
    assert _plan_history(posted, size=500, now=later) is True
    assert (posted.history_until, posted.history_events, posted.history_stream) == (
        later - REPLAY,
        500,
        2,
    )
    assert posted.streams == 3


def test_state_survives_a_restart(tmp_path: Path) -> None:
    assert load_state(tmp_path) is None
    state = FeedState(seed=3, history_until=NOW, history_events=6000, history_done=True)
    assert (state.take_stream(), state.take_stream()) == (0, 1)
    state.clock = NOW + timedelta(minutes=7)
    save_state(tmp_path / "data", state)
    assert load_state(tmp_path / "data") == state
    (tmp_path / "data" / "demo-feed.json").write_text("{not json")
    assert load_state(tmp_path / "data") is None


async def test_a_stop_during_history_counts_the_rest_as_unsent(scenario: Scenario) -> None:
    postings = scenario.history(count=1500, now=NOW)
    intake = ScriptedIntake()
    stats = FeedStats()
    stop = asyncio.Event()

    def progress(done: int, total: int) -> None:
        if done > 0:
            stop.set()  # Ctrl-C after the first batch

    async with intake.client() as client:
        await send_history(
            postings, client=client, reporter=Reporter(stats, lambda _: None), progress=progress,
            stop=stop,
        )  # fmt: skip
    assert 0 < len(intake.received) < len(postings)
    assert stats.accepted == len(intake.received)
    assert stats.unsent == len(postings) - len(intake.received)
