"""Soak: the whole system under a steady 1,000 events/s for 10 minutes, shaped like the demo
feed (the demo landlords' reports, corrections, withdrawals and re-sends; batching landlords
post JSON arrays, the others one event per request), while a reader asks reporting for a
territory summary in parallel.

    .venv/bin/python -m bench.soak [--minutes 10] [--rate 1000]

Reports every service's RSS at the start (services ready) and at the end, the aggregator's
consumer lag sampled every 10 s (approximate on the embedded broker, see BROKER-NOTES) and how
long counting took to catch up once the load stopped, the p50/p99 of intake's answers and of
reporting's summaries, and the events counted against those accepted. Not run by `python -m
bench` without a name: it is long (README, Fiabilité)."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import psutil

from bench._http import KeepAlive
from bench._services import UNLIMITED_INTAKE, start_service, stop, wait_ready
from vigie.platform.kafka import ensure_topics
from vigie.platform.migrate import apply_migrations
from vigie.platform.service_process import ServiceProcess
from vigie.platform.territories import parse_territories, reference_csv
from vigie.platform.territory_store import store_territories
from vigie_cli.demo.landlords import DEMO_LANDLORDS
from vigie_cli.demo.scenario import Scenario
from vigie_devtools.broker import EmbeddedBroker
from vigie_devtools.postgres import EmbeddedPostgres

TOKEN = secrets.token_urlsafe(24)
TICK_S = 0.1  # the load is sent in slices of a tenth of a second
SINGLE_CONNECTIONS = 16
READERS = 2
SAMPLE_S = 10.0
SERVICES = ("intake", "aggregator", "alerts", "reporting")


class Latencies:
    """Request durations and statuses of one kind of request."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.statuses: Counter[int] = Counter()

    def add(self, started: float, status: int) -> None:
        self.seconds.append(time.perf_counter() - started)
        self.statuses[status] += 1

    def line(self) -> str:
        if not self.seconds:
            return "no request"
        ordered = sorted(self.seconds)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return (
            f"{len(ordered):,} requests, p50 {statistics.median(ordered) * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms, statuses {dict(self.statuses)}"
        )


def rss_mb(processes: dict[str, ServiceProcess]) -> dict[str, float]:
    """Each service's resident memory, its whole process tree, in MB."""
    result = {}
    for name, process in processes.items():
        root = psutil.Process(process.pid)
        tree = [root, *root.children(recursive=True)]
        result[name] = sum(p.memory_info().rss for p in tree) / 2**20
    return result


def lag(url: str) -> float:
    """The aggregator's consumer lag (sum over partitions) from /metrics."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("vigie_aggregator_consumer_lag{")
    )


async def soak(urls: dict[str, str], dsn: str, *, seconds: float, rate: int) -> dict[str, Any]:
    """Send the load for `seconds`, read summaries meanwhile; the figures."""
    territories = list(parse_territories(reference_csv()).territories.values())
    scenario = Scenario(seed=13, territories=territories)
    batching = {landlord.landlord_id for landlord in DEMO_LANDLORDS if landlord.batches}
    sites = [site.territory_id for site in scenario.sites]
    intake, summaries = Latencies(), Latencies()
    accepted: list[dict[str, Any]] = []  # answered 202, or not rejected in a batch
    singles: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    lags: list[float] = []
    stop = asyncio.Event()

    async def single_sender() -> None:
        connection = await KeepAlive.open(urls["intake"])
        while not (stop.is_set() and singles.empty()):
            try:
                event = await asyncio.wait_for(singles.get(), 0.5)
            except TimeoutError:
                continue
            started = time.perf_counter()
            status = await connection.post("/v1/incidents", orjson.dumps(event), token=TOKEN)
            intake.add(started, status)
            if status == 202:
                accepted.append(event)

    async def batch_sender(client: httpx.AsyncClient, events: list[dict[str, Any]]) -> None:
        started = time.perf_counter()
        response = await client.post("/v1/incidents/batch", content=orjson.dumps(events))
        intake.add(started, response.status_code)
        if response.status_code == 200:
            refused = {r["index"] for r in response.json()["rejected"]}
            accepted.extend(e for i, e in enumerate(events) if i not in refused)

    async def reader(number: int) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=urls["reporting"], headers=headers) as client:
            turn = number
            while not stop.is_set():
                started = time.perf_counter()
                response = await client.get(f"/v1/territories/{sites[turn % len(sites)]}/summary")
                summaries.add(started, response.status_code)
                turn += READERS
                await asyncio.sleep(0.1)

    async def sampler() -> None:
        while not stop.is_set():
            await asyncio.sleep(SAMPLE_S)
            lags.append(await asyncio.to_thread(lag, urls["aggregator"]))

    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    tasks = [asyncio.create_task(single_sender()) for _ in range(SINGLE_CONNECTIONS)]
    tasks += [asyncio.create_task(reader(n)) for n in range(READERS)]
    tasks.append(asyncio.create_task(sampler()))
    batches: set[asyncio.Task[None]] = set()
    per_tick = rate * TICK_S
    sent = 0
    async with httpx.AsyncClient(base_url=urls["intake"], headers=headers, timeout=60) as client:
        started = time.monotonic()
        tick = 0
        while (elapsed := time.monotonic() - started) < seconds:
            now = datetime.now(UTC)
            grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
            while sent < per_tick * (tick + 1):
                posting = scenario.next(now=now)
                if posting.landlord_id in batching:
                    grouped[posting.landlord_id].append(posting.event)
                else:
                    singles.put_nowait(posting.event)
                sent += 1
            for events in grouped.values():
                task = asyncio.create_task(batch_sender(client, events))
                batches.add(task)
                task.add_done_callback(batches.discard)
            tick += 1
            await asyncio.sleep(max(0.0, tick * TICK_S - elapsed))
        stop.set()
        await asyncio.gather(*tasks, *batches)
        load_s = time.monotonic() - started
    drained = await caught_up(dsn, expected=winners(accepted))
    return {
        "sent": sent,
        "accepted": len(accepted),
        "rate": sent / load_s,
        "intake": intake.line(),
        "summaries": summaries.line(),
        "lag_max": max(lags, default=0.0),
        "lag_samples": lags,
        "drained": drained,
    }


Winners = dict[tuple[str, str], tuple[int, str]]


def winners(events: list[dict[str, Any]]) -> Winners:
    """Each incident's winning (revision, event_id): what the aggregator must hold."""
    best: Winners = {}
    for event in events:
        key = (event["landlord_id"], event["incident_id"])
        order = (event["revision"], event["event_id"])
        if key not in best or order > best[key]:
            best[key] = order
    return best


async def caught_up(dsn: str, *, expected: Winners) -> tuple[float, int, int]:
    """How long until the aggregator holds exactly the expected winner of every incident, once
    the load stopped: (seconds, incidents as expected, incidents differing or missing)."""
    conn = await asyncpg.connect(dsn)
    started = time.monotonic()
    try:
        while True:
            rows = await conn.fetch(
                "SELECT landlord_id, incident_id, revision, event_id FROM incidents"
            )
            held = {(r[0], r[1]): (r[2], str(r[3])) for r in rows}
            wrong = sum(1 for key, order in expected.items() if held.get(key) != order)
            wrong += len(held.keys() - expected.keys())
            if not wrong or time.monotonic() - started > 300:
                return time.monotonic() - started, len(expected) - wrong, wrong
            await asyncio.sleep(2.0)
    finally:
        await conn.close()


async def prepare(dsn: str, bootstrap: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await apply_migrations(conn)
        await store_territories(conn, parse_territories(reference_csv()))
    finally:
        await conn.close()
    await ensure_topics(bootstrap, partitions=4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=1_000, help="events per second")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="vigie-soak-"))
    data.chmod(0o755)
    broker, postgres = EmbeddedBroker(data), EmbeddedPostgres(data)
    bootstrap, dsn = broker.start(), postgres.start()
    processes: dict[str, ServiceProcess] = {}
    try:
        asyncio.run(prepare(dsn, bootstrap))
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "DATABASE_URL": dsn,
            "VIGIE_ADMIN_TOKEN": TOKEN,
            "VIGIE_DATA_DIR": str(data),
            **UNLIMITED_INTAKE,
        }
        urls: dict[str, str] = {}
        for name in SERVICES:
            extra = {"VIGIE_ALERTS_URL": urls["alerts"]} if name == "reporting" else {}
            urls[name], processes[name] = start_service(
                name, env={**env, **extra}, log=data / "logs" / f"{name}.log"
            )
        for name in SERVICES:
            wait_ready(urls[name], processes[name], within=120)
        before = rss_mb(processes)
        print(f"soak: {args.minutes:g} min at {args.rate:,} events/s (logs in {data / 'logs'})")
        figures = asyncio.run(soak(urls, dsn, seconds=args.minutes * 60, rate=args.rate))
        after = rss_mb(processes)
    finally:
        stop(*processes.values())
        postgres.stop()
        broker.stop()
    print(
        f"sent {figures['sent']:,} events at {figures['rate']:,.0f}/s, "
        f"{figures['accepted']:,} accepted"
    )
    print(f"intake     {figures['intake']}")
    print(f"reporting  {figures['summaries']} (territory summaries, {READERS} readers)")
    drained_s, exact, wrong = figures["drained"]
    print(
        f"lag        max {figures['lag_max']:,.0f} records over {len(figures['lag_samples'])} "
        f"samples; caught up {drained_s:.1f} s after the load stopped"
    )
    print(f"counted    {exact:,} incidents exactly as accepted, {wrong} differing or missing")
    for name in SERVICES:
        print(
            f"RSS        {name:<10} {before[name]:7.1f} MB at start, {after[name]:7.1f} MB at end"
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
