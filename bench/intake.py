"""Intake throughput, beside its ceiling measured in the same run on the same broker.

    .venv/bin/python -m bench.intake [--events 50000] [--seconds 10]

(a) a bare aiokafka producer sends N events (acks=all, the intake's linger): the ceiling;
(b) the batch endpoint, fed 1,000-event JSON bodies by a load client in another process;
(c) the single-event endpoint under 32 concurrent keep-alive connections.
Targets: (b) ≥ 0.5 × (a) events/s; (c) ≥ 2,000 requests/s with p99 ≤ 30 ms on one worker.

The intake runs as its real process (`python -m vigie_intake`, one uvicorn worker) against an
embedded broker and PostgreSQL started here (or KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL). The
load clients are this module run with `--client batch|single`; they print one JSON line. CPU
seconds per process are printed too: on a 2-core machine the client, the service and the broker
share the cores, which is what limits the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import psutil
import uvloop
from aiokafka import AIOKafkaProducer

from bench._http import KeepAlive
from bench._services import UNLIMITED_INTAKE, start_service, stop, wait_ready
from vigie.contract import topics
from vigie.contract.events import COMPLAINTS, REPORTED, TARGETS
from vigie.contract.nomenclature import default_nomenclature
from vigie.platform.kafka import ensure_topics
from vigie.platform.migrate import apply_migrations
from vigie.platform.territories import parse_territories, reference_csv
from vigie.platform.territory_store import store_territories
from vigie_devtools.broker import EmbeddedBroker
from vigie_devtools.postgres import EmbeddedPostgres

# The service and its load clients share this one (the clients are children of this process).
ADMIN_TOKEN = os.environ.setdefault("BENCH_INTAKE_TOKEN", secrets.token_urlsafe(24))
BATCH_SIZE = 1_000
BATCH_CONNECTIONS = 4
SINGLE_CONNECTIONS = 32
LINGER_MS = 0  # the intake's default (INTAKE_LINGER_MS)
TARGET_BATCH_RATIO = 0.5
TARGET_SINGLE_RPS = 2_000
TARGET_SINGLE_P99_MS = 30.0


# --- events ------------------------------------------------------------------------------


def qpv_ids() -> list[str]:
    """The reference QPV ids, the territories the load is spread over."""
    tree = parse_territories(reference_csv())
    return sorted(t.territory_id for t in tree.territories.values() if t.kind == "qpv")


def make_event(rng: random.Random, territories: list[str]) -> dict[str, Any]:
    """A realistic `incident.reported` (~400 bytes), a third with a phone number to mask."""
    codes = sorted(default_nomenclature().category_codes())
    occurred = datetime.now(UTC) - timedelta(minutes=rng.randint(1, 60 * 24 * 30))
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "type": REPORTED,
        "incident_id": f"INC-{rng.randrange(10**9):09d}",
        "revision": 1,
        "landlord_id": f"HLM-{rng.randint(1, 20):02d}",
        "territory_id": rng.choice(territories),
        "residence_id": f"RES-{rng.randint(1, 500)}",
        "category": rng.choice(codes),
        "occurred_at": occurred.isoformat(timespec="seconds"),
        "severity": rng.randint(1, 4),
        "target": rng.choice(TARGETS),
        "complaint": rng.choice(COMPLAINTS),
        "description": "Constat du gardien lors de la ronde du soir, hall B, porte forcée.",
    }
    if rng.random() < 1 / 3:
        event["description"] += " Rappeler M. Martin au 06 12 34 56 78."
    if rng.random() < 0.5:
        event["cost_eur"] = round(rng.uniform(20, 3000), 2)
    return event


# --- (a) the ceiling -----------------------------------------------------------------------


async def bare_producer(bootstrap: str, events: list[dict[str, Any]]) -> float:
    """Events/s of a bare aiokafka producer (encoding done before the clock starts)."""
    records = [(e["territory_id"].encode(), orjson.dumps(e)) for e in events]
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=False, linger_ms=LINGER_MS
    )
    await producer.start()
    try:
        await (await producer.send(topics.INCIDENTS, records[0][1], key=records[0][0]))  # warm-up
        started = time.perf_counter()
        futures = [await producer.send(topics.INCIDENTS, v, key=k) for k, v in records]
        await asyncio.gather(*futures)
        return len(records) / (time.perf_counter() - started)
    finally:
        await producer.stop()


# --- load clients (run in their own process) ---------------------------------------------


async def batch_client(url: str, events: int) -> dict[str, Any]:
    """Post `events` events as 1,000-event JSON bodies over a few connections."""
    rng = random.Random(2)
    territories = qpv_ids()
    bodies = [
        orjson.dumps([make_event(rng, territories) for _ in range(BATCH_SIZE)])
        for _ in range(max(1, events // BATCH_SIZE))
    ]
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    statuses: dict[int, int] = {}
    accepted = 0
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal accepted
        while not queue.empty():
            body = queue.get_nowait()
            response = await client.post("/v1/incidents/batch", content=body, headers=headers)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == 200:
                accepted += response.json()["accepted"]

    limits = httpx.Limits(max_connections=BATCH_CONNECTIONS)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        await client.post("/v1/incidents/batch", content=bodies[0][:2] + b"]", headers=headers)
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(BATCH_CONNECTIONS)))
        seconds = time.perf_counter() - started
    return {"accepted": accepted, "seconds": seconds, "statuses": statuses}


async def single_client(url: str, seconds: float) -> dict[str, Any]:
    """Post single events over 32 keep-alive connections for `seconds`; latencies in ms."""
    rng = random.Random(3)
    territories = qpv_ids()
    templates = [orjson.dumps(make_event(rng, territories)) for _ in range(200)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    loop = asyncio.get_running_loop()
    warmup_end = loop.time() + 1.0
    end = warmup_end + seconds

    total = 0

    async def connection(n: int) -> None:
        nonlocal total
        client = await KeepAlive.open(url)
        i = n
        while loop.time() < end:
            template = templates[i % len(templates)]
            i += SINGLE_CONNECTIONS
            # A fresh event_id (the template starts with `{"event_id":"<36 chars>"`).
            body = template[:13] + str(uuid.uuid4()).encode() + template[49:]
            sent = loop.time()
            status = await client.post("/v1/incidents", body, token=ADMIN_TOKEN)
            total += 1
            if sent >= warmup_end:
                latencies.append((loop.time() - sent) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
        client.close()

    await asyncio.gather(*(connection(n) for n in range(SINGLE_CONNECTIONS)))
    latencies.sort()
    return {
        "all_requests": total,
        "requests": len(latencies),
        "seconds": seconds,
        "statuses": statuses,
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p99_ms": latencies[int(len(latencies) * 0.99)] if latencies else None,
        "max_ms": latencies[-1] if latencies else None,
    }


# --- orchestration -----------------------------------------------------------------------


@dataclass
class Infra:
    """Where the broker and database are."""

    bootstrap: str
    dsn: str
    broker_pid: int | None


@contextmanager
def infrastructure(workdir: Path) -> Iterator[Infra]:
    """The broker and database named by the environment, else embedded ones."""
    broker = postgres = None
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    dsn = os.environ.get("DATABASE_URL")
    try:
        if not bootstrap:
            broker = EmbeddedBroker(workdir / "broker")
            bootstrap = broker.start()
        if not dsn:
            postgres = EmbeddedPostgres(workdir / "postgres")
            dsn = postgres.start()
        yield Infra(bootstrap, dsn, broker.pid if broker else None)
    finally:
        if postgres:
            postgres.stop()
        if broker:
            broker.stop()


async def prepare(infra: Infra) -> None:
    """Topics, migrations and the reference territories."""
    await ensure_topics(infra.bootstrap, partitions=12)
    conn = await asyncpg.connect(infra.dsn)
    try:
        await apply_migrations(conn)
        await store_territories(conn, parse_territories(reference_csv()))
    finally:
        await conn.close()


@contextmanager
def intake_process(infra: Infra, log: Path) -> Iterator[tuple[str, psutil.Process]]:
    """The real intake service, one worker, with a rate limit out of the way."""
    url, process = start_service(
        "intake",
        env={
            "KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap,
            "DATABASE_URL": infra.dsn,
            "VIGIE_ADMIN_TOKEN": ADMIN_TOKEN,
            **UNLIMITED_INTAKE,
        },
        log=log,
    )
    try:
        try:
            wait_ready(url, process)
        except RuntimeError:
            raise RuntimeError(f"intake did not become ready; see {log}") from None
        yield url, psutil.Process(process.pid)
    finally:
        stop(process)


def run_client(kind: str, url: str, amount: float) -> dict[str, Any]:
    """Run a load client in its own process; its JSON result."""
    argv = [sys.executable, "-m", "bench.intake", "--client", kind, "--url", url]
    argv += ["--amount", str(amount)]
    done = subprocess.run(argv, stdout=subprocess.PIPE, check=True, text=True)
    result: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    return result


def cpu_seconds(process: psutil.Process | None) -> float:
    """User + system CPU seconds of a process so far."""
    if process is None:
        return 0.0
    times = process.cpu_times()
    return float(times.user + times.system)


async def orchestrate(events: int, seconds: float) -> None:
    """Run (a), (b), (c) and print the figures."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average before the run {load}")
    with tempfile.TemporaryDirectory(prefix="vigie-bench-intake-") as tmp:
        workdir = Path(tmp)
        with infrastructure(workdir) as infra:
            await prepare(infra)
            broker_proc = psutil.Process(infra.broker_pid) if infra.broker_pid else None
            territories = qpv_ids()
            rng = random.Random(1)
            sample = [make_event(rng, territories) for _ in range(events)]
            ceiling = await bare_producer(infra.bootstrap, sample)
            print(f"(a) bare aiokafka producer, {events:,} events: {ceiling:,.0f} events/s")

            with intake_process(infra, workdir / "intake.log") as (url, server):
                cpu0 = (cpu_seconds(server), cpu_seconds(broker_proc))
                batch = run_client("batch", url, events)
                cpu1 = (cpu_seconds(server), cpu_seconds(broker_proc))
                rate = batch["accepted"] / batch["seconds"]
                ok = "met" if rate >= TARGET_BATCH_RATIO * ceiling else "NOT met"
                print(
                    f"(b) batch endpoint, {BATCH_SIZE:,}-event bodies, {BATCH_CONNECTIONS}"
                    f" connections: {rate:,.0f} events/s = {rate / ceiling:.2f} × (a)"
                    f" (target ≥ {TARGET_BATCH_RATIO}: {ok}); statuses {batch['statuses']};"
                    f" CPU s: intake {cpu1[0] - cpu0[0]:.1f}, broker {cpu1[1] - cpu0[1]:.1f}"
                    f" over {batch['seconds']:.1f} s"
                    f" (intake {(cpu1[0] - cpu0[0]) / max(1, batch['accepted']) * 1e6:.0f} µs"
                    " CPU per event)"
                )
                single = run_client("single", url, seconds)
                cpu2 = (cpu_seconds(server), cpu_seconds(broker_proc))
                rps = single["requests"] / single["seconds"]
                ok = (
                    "met"
                    if rps >= TARGET_SINGLE_RPS and single["p99_ms"] <= TARGET_SINGLE_P99_MS
                    else "NOT met"
                )
                print(
                    f"(c) single-event endpoint, {SINGLE_CONNECTIONS} connections: {rps:,.0f}"
                    f" requests/s, p50 {single['p50_ms']:.1f} ms, p99 {single['p99_ms']:.1f} ms,"
                    f" max {single['max_ms']:.1f} ms (target ≥ {TARGET_SINGLE_RPS:,}/s and"
                    f" p99 ≤ {TARGET_SINGLE_P99_MS:.0f} ms: {ok}); statuses {single['statuses']};"
                    f" CPU s: intake {cpu2[0] - cpu1[0]:.1f}, broker {cpu2[1] - cpu1[1]:.1f}"
                    f" over {single['seconds'] + 1:.1f} s, warm-up included"
                    f" (about {(cpu2[0] - cpu1[0]) / max(1, single['all_requests']) * 1e6:.0f} µs"
                    " intake CPU per request)"
                )
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"load average after the run {load}")


def main() -> None:
    """Entry point: the orchestrator, or one of its load clients."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=50_000, help="events for (a) and (b)")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of (c)")
    parser.add_argument("--client", choices=["batch", "single"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--amount", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client == "batch":
        print(
            orjson.dumps(
                uvloop.run(batch_client(args.url, int(args.amount))), option=orjson.OPT_NON_STR_KEYS
            ).decode()
        )
    elif args.client == "single":
        print(
            orjson.dumps(
                uvloop.run(single_client(args.url, args.amount)), option=orjson.OPT_NON_STR_KEYS
            ).decode()
        )
    else:
        uvloop.run(orchestrate(args.events, args.seconds))


if __name__ == "__main__":
    main()
