"""Aggregator throughput beside its ceiling, measured in the same run on the same broker.

    .venv/bin/python -m bench.aggregator [--events 200000] [--latency-seconds 20]

One topic load (12 partitions, keyed by territory): reports spread over every reference QPV and
a year of days, 10% exact duplicates, 5% corrections (moving territory, category or day, often
arriving before what they correct), 1% garbage. Then:
(a) the ceiling: a bare aiokafka consumer doing json.loads and an in-memory count;
(b) the aggregator (`python -m vigie_aggregator`, 1 then 2 replicas in one group), from its
    first stored incident to counters complete and exact in PostgreSQL; peak RSS per process.
(c) latency at 500 events/s asked: "accepted by intake (202) → visible in incident_counters"
    (the real intake process), then "produced to Kafka → visible"; p50/p95 and the rate
    achieved.
    `--events 0 --latency-only` runs (c) alone.
Target: (b) ≥ 0.45 × (a) events/s, peak RSS ≤ 300 MB; (c) p95 ≤ 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import statistics
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import orjson
import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench._http import KeepAlive
from bench._services import UNLIMITED_INTAKE, start_service, stop, wait_ready
from vigie.contract import topics
from vigie.contract.events import COMPLAINTS, CORRECTED, REPORTED, TARGETS
from vigie.contract.nomenclature import default_nomenclature
from vigie.platform.kafka import ensure_topics
from vigie.platform.migrate import apply_migrations
from vigie.platform.territories import parse_territories, reference_csv
from vigie.platform.territory_store import store_territories
from vigie_devtools.broker import EmbeddedBroker
from vigie_devtools.postgres import EmbeddedPostgres

PARIS = ZoneInfo("Europe/Paris")
# The categories drawn: a choice of frequent ones among the nomenclature's (checked when the
# load is built); targets and complaints are drawn from the contract's lists.
CATEGORIES = ("ENV-DEP", "BIE-TAG", "BIE-DEG", "VOI-BRU", "OCC-HAL", "PER-VER", "TRA-DEA")
ADMIN_TOKEN = "bench-" + secrets.token_urlsafe(16)
INTAKE_CONNECTIONS = 16  # enough for 500 requests/s at a few ms each
PARTITIONS = 12
CounterKey = tuple[str, str, str, str]


# --- the load ----------------------------------------------------------------------------


def qpv_ids() -> list[str]:
    """The reference QPV ids."""
    tree = parse_territories(reference_csv())
    return sorted(t.territory_id for t in tree.territories.values() if t.kind == "qpv")


def state(rng: random.Random, territories: list[str], number: int, revision: int) -> dict[str, Any]:
    """A report or correction of incident `number`."""
    occurred = datetime.now(UTC) - timedelta(days=rng.randrange(365), minutes=rng.randrange(1440))
    return {
        "event_id": str(uuid.uuid4()),
        "type": REPORTED if revision == 1 else CORRECTED,
        "incident_id": f"INC-{number}",
        "revision": revision,
        "landlord_id": f"L{number % 7}",
        "territory_id": rng.choice(territories),
        "category": rng.choice(CATEGORIES),
        "occurred_at": occurred.isoformat(timespec="seconds"),
        "severity": rng.randint(1, 4),
        "target": rng.choice(TARGETS),
        "complaint": rng.choice(COMPLAINTS),
        "cost_eur": round(rng.uniform(0, 2000), 2),
        "description": "dégradation constatée dans le hall, porte forcée",
    }


def counter_key(event: dict[str, Any]) -> CounterKey:
    """Where an event's incident counts."""
    day = datetime.fromisoformat(event["occurred_at"]).astimezone(PARIS).date().isoformat()
    return (event["territory_id"], day, event["category"], event["landlord_id"])


def build_load(total: int, seed: int = 1) -> tuple[list[tuple[bytes, bytes]], Counter[CounterKey]]:
    """(key, value) messages in arrival order, and the exact expected counts."""
    unknown = set(CATEGORIES) - default_nomenclature().category_codes()
    if unknown:
        raise ValueError(f"not in the nomenclature: {sorted(unknown)}")
    rng = random.Random(seed)
    territories = qpv_ids()
    duplicates, corrections, garbage = total // 10, total // 20, total // 100
    reports = total - duplicates - corrections - garbage
    events = [state(rng, territories, n, 1) for n in range(reports)]
    final = {event["incident_id"]: event for event in events}
    for _ in range(corrections):
        number = rng.randrange(reports)
        correction = state(rng, territories, number, 2 + rng.randrange(3))
        # Jitter: a correction lands near its report, before it half of the time.
        events.insert(max(0, number + rng.randrange(-2000, 2000)), correction)
        current = final[correction["incident_id"]]
        if (correction["revision"], uuid.UUID(correction["event_id"])) > (
            current["revision"],
            uuid.UUID(current["event_id"]),
        ):
            final[correction["incident_id"]] = correction
    for _ in range(duplicates):
        events.insert(rng.randrange(len(events)), events[rng.randrange(len(events))])
    messages = [(e["territory_id"].encode(), orjson.dumps(e)) for e in events]
    for _ in range(garbage):
        bad = rng.choice((b"{not json", b'{"type": "%s"}' % REPORTED.encode(), b"\x00\x01"))
        messages.insert(rng.randrange(len(messages)), (b"garbage", bad))
    return messages, Counter(counter_key(event) for event in final.values())


async def produce_all(bootstrap: str, messages: list[tuple[bytes, bytes]]) -> float:
    """Load the topic; return the seconds it took."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=False,
        linger_ms=20,
        max_batch_size=512 * 1024,
    )
    await producer.start()
    started = time.perf_counter()
    try:
        futures = [await producer.send(topics.INCIDENTS, key=k, value=v) for k, v in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.perf_counter() - started


# --- (a) the ceiling ---------------------------------------------------------------------


async def ceiling(bootstrap: str, total: int) -> float:
    """A bare consumer: json.loads and an in-memory count; events/s first to last message."""
    consumer = AIOKafkaConsumer(
        topics.INCIDENTS,
        bootstrap_servers=bootstrap,
        group_id=f"bench-ceiling-{uuid.uuid4()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    counts: Counter[str] = Counter()
    seen = 0
    started = 0.0
    try:
        while seen < total:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            for records in batch.values():
                if not started:
                    started = time.perf_counter()
                for record in records:
                    seen += 1
                    try:
                        counts[json.loads(record.value or b"").get("territory_id")] += 1
                    except (ValueError, AttributeError):
                        counts["garbage"] += 1
            if seen:
                await consumer.commit()
    finally:
        await consumer.stop()
    return seen / (time.perf_counter() - started)


# --- (b) the aggregator ------------------------------------------------------------------


class RssSampler:
    """Peak RSS of some processes, sampled every 50 ms in a thread."""

    def __init__(self, processes: list[psutil.Process]) -> None:
        self.peaks = [0] * len(processes)
        self._processes = processes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for index, process in enumerate(self._processes):
                with suppress(psutil.Error):
                    self.peaks[index] = max(self.peaks[index], process.memory_info().rss)
            time.sleep(0.05)

    def stop(self) -> list[float]:
        """Stop sampling; the peaks in MB."""
        self._stop.set()
        self._thread.join()
        return [peak / 2**20 for peak in self.peaks]


@contextmanager
def aggregators(
    bootstrap: str, dsn: str, *, replicas: int, group: str, log_dir: Path
) -> Iterator[list[tuple[str, psutil.Process]]]:
    """N aggregator processes in one consumer group, started together (so that they join the
    group in the same round), ready; their URLs and processes."""
    processes = [
        start_service(
            "aggregator",
            env={
                "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                "DATABASE_URL": dsn,
                "VIGIE_REPLICA": str(replica),
                "AGGREGATOR_GROUP_ID": group,
            },
            log=log_dir / f"aggregator-{group}-{replica}.log",
        )
        for replica in range(replicas)
    ]
    try:
        for url, process in processes:
            wait_ready(url, process)
        yield [(url, psutil.Process(process.pid)) for url, process in processes]
    finally:
        stop(*(process for _, process in processes))


def assigned(url: str) -> float:
    """How many partitions the aggregator at `url` owns (0 while it joins the group)."""
    for line in httpx.get(f"{url}/metrics", timeout=2).text.splitlines():
        if line.startswith("vigie_aggregator_assigned_partitions "):
            return float(line.split()[1])
    return 0.0


async def committed(admin: AIOKafkaAdminClient, group: str) -> int:
    """How many records of incidents.v1 the group has committed (offsets start at 0). The
    aggregator commits offsets after its transaction: when this reaches the load, the counters
    are complete. Asked of the broker, it takes no CPU from the processes measured (summing the
    counters table, or scraping their /metrics, did)."""
    offsets = await admin.list_consumer_group_offsets(
        group, partitions=[TopicPartition(topics.INCIDENTS, p) for p in range(PARTITIONS)]
    )
    return sum(max(meta.offset, 0) for meta in offsets.values())


async def reset(conn: asyncpg.Connection) -> None:
    """Empty the aggregator's tables between runs."""
    await conn.execute("TRUNCATE incidents, incident_counters, counters_changed_outbox")


def readings(processes: list[psutil.Process]) -> dict[int, float]:
    """User + system CPU seconds of these processes and their children, by pid."""
    result: dict[int, float] = {}
    for root in processes:
        for process in (root, *root.children(recursive=True)):
            with suppress(psutil.Error):
                times = process.cpu_times()
                result[process.pid] = times.user + times.system
    return result


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two readings (processes born meanwhile count from zero)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


async def aggregator_run(
    bootstrap: str,
    dsn: str,
    *,
    replicas: int,
    total: int,
    expected: Counter[CounterKey],
    log_dir: Path,
    group: str,
    servers: dict[str, psutil.Process],
) -> dict[str, Any]:
    """Events/s from the first stored incident to exact counters, peak RSS, and the CPU the
    aggregators and the `servers` (PostgreSQL with its backends, the broker) spent meanwhile."""
    conn = await asyncpg.connect(dsn)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await reset(conn)
        counted = sum(expected.values())
        with aggregators(bootstrap, dsn, replicas=replicas, group=group, log_dir=log_dir) as procs:
            sampler = RssSampler([process for _, process in procs])
            # The first message comes right after the group hands out partitions.
            while not any(assigned(url) for url, _ in procs):  # noqa: ASYNC110 - polling another process
                await asyncio.sleep(0.005)
            watched = {"aggregators": [process for _, process in procs]}
            watched.update({name: [process] for name, process in servers.items()})
            cpu_before = {name: readings(processes) for name, processes in watched.items()}
            started = time.perf_counter()
            while await committed(admin, group) < total:  # noqa: ASYNC110 - another process
                await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - started
            cpu = {
                name: spent(cpu_before[name], readings(processes))
                for name, processes in watched.items()
            }
            peaks = sampler.stop()
            complete = await conn.fetchval("SELECT sum(incidents) FROM incident_counters")
        rows = await conn.fetch(
            "SELECT territory_id, day::text, category, landlord_id, incidents"
            " FROM incident_counters"
        )
        stored = Counter({tuple(row[:4]): row[4] for row in rows})
        return {
            "events_per_s": total / elapsed,
            "seconds": elapsed,
            "exact": complete == counted and stored == expected,
            "peak_rss_mb": peaks,
            "cpu_s": cpu,
        }
    finally:
        await admin.close()
        await conn.close()


# --- (c) latency -------------------------------------------------------------------------


@contextmanager
def intake(bootstrap: str, dsn: str, log_dir: Path) -> Iterator[str | None]:
    """The real intake process, or None if it cannot start."""
    url, process = start_service(
        "intake",
        env={
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "DATABASE_URL": dsn,
            "VIGIE_ADMIN_TOKEN": ADMIN_TOKEN,
            **UNLIMITED_INTAKE,
        },
        log=log_dir / "intake.log",
    )
    try:
        try:
            wait_ready(url, process)
        except RuntimeError:
            yield None
            return
        yield url
    finally:
        stop(process)


async def latency(
    bootstrap: str, dsn: str, *, intake_url: str | None, seconds: float, rate: float = 500.0
) -> dict[str, Any]:
    """Send `rate` events/s, each counting in its own row; time until each row is visible."""
    rng = random.Random(5)
    territories = qpv_ids()
    sent_at: dict[str, float] = {}
    failures: Counter[str] = Counter()
    sent_all = asyncio.Event()
    sent_all_at: list[float] = []
    seen_at: dict[str, float] = {}
    total = int(seconds * rate)
    run = uuid.uuid4().hex[:6]

    def event(n: int) -> dict[str, Any]:
        data = state(rng, territories, n, 1)
        data["landlord_id"] = f"LAT-{run}-{n}"  # its own counter row, to see it appear
        data["occurred_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        return data

    async def send() -> None:
        producer = None
        # Idle keep-alive connections to intake, taken one per request in flight.
        idle: asyncio.Queue[KeepAlive] = asyncio.Queue()
        if intake_url is None:
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
            await producer.start()
        else:
            for _ in range(INTAKE_CONNECTIONS):
                idle.put_nowait(await KeepAlive.open(intake_url))
        started = time.perf_counter()
        pending: set[asyncio.Task[None]] = set()

        async def one(data: dict[str, Any]) -> None:
            if intake_url is not None:
                client = await idle.get()
                try:
                    status = await client.post(
                        "/v1/incidents", orjson.dumps(data), token=ADMIN_TOKEN
                    )
                except OSError as exc:
                    failures[type(exc).__name__] += 1
                    client.close()
                    idle.put_nowait(await KeepAlive.open(intake_url))
                    return
                idle.put_nowait(client)
                if status != 202:
                    failures[str(status)] += 1
                    return
            else:
                assert producer is not None
                await producer.send_and_wait(
                    topics.INCIDENTS, key=data["territory_id"].encode(), value=orjson.dumps(data)
                )
            sent_at[data["landlord_id"]] = time.perf_counter()

        try:
            for n in range(total):
                delay = started + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(one(event(n)))
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.gather(*pending)
        finally:
            sent_all_at.append(time.perf_counter())
            sent_all.set()
            if producer is not None:
                await producer.stop()
            while not idle.empty():
                idle.get_nowait().close()

    async def watch() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            # Until everything sent is seen, or 10 s after the sender finished.
            while len(seen_at) < total and (
                not sent_all.is_set() or time.perf_counter() < sent_all_at[0] + 10
            ):
                rows = await conn.fetch(
                    "SELECT landlord_id FROM incident_counters WHERE landlord_id LIKE $1",
                    f"LAT-{run}-%",
                )
                now = time.perf_counter()
                for row in rows:
                    seen_at.setdefault(row[0], now)
                await asyncio.sleep(0.02)
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(send(), watch())
    delays = sorted(max(0.0, seen_at[k] - sent_at[k]) for k in sent_at if k in seen_at)
    return {
        "events": total,
        "visible": len(delays),
        "p50_s": statistics.median(delays) if delays else None,
        "p95_s": delays[int(len(delays) * 0.95) - 1] if delays else None,
        "max_s": delays[-1] if delays else None,
        "failures": dict(failures),
        "sent_per_s": len(sent_at) / (sent_all_at[0] - started),
    }


# --- orchestration -----------------------------------------------------------------------


async def prepare(bootstrap: str, dsn: str) -> None:
    """Topics, migrations and the reference territories."""
    await ensure_topics(bootstrap, partitions=PARTITIONS)
    conn = await asyncpg.connect(dsn)
    try:
        await apply_migrations(conn)
        await store_territories(conn, parse_territories(reference_csv()))
    finally:
        await conn.close()


async def orchestrate(total: int, latency_seconds: float, *, throughput: bool = True) -> None:
    """Run (a), (b) and (c) on one embedded broker and database; print the figures."""
    with tempfile.TemporaryDirectory(prefix="vigie-bench-aggregator-") as tmp:
        work = Path(tmp)
        broker = EmbeddedBroker(work / "broker")
        postgres = EmbeddedPostgres(work / "postgres")
        bootstrap, dsn = broker.start(), postgres.start()
        try:
            await prepare(bootstrap, dsn)
            messages, expected = build_load(total)
            produced = await produce_all(bootstrap, messages)
            del messages
            print(
                f"load: {total:,} events on 12 partitions (produced in {produced:.1f} s); "
                f"{sum(expected.values()):,} incidents count in {len(expected):,} rows"
            )
            group = "bench-aggregator-latency"
            assert postgres.pid is not None  # started above
            assert broker.pid is not None
            servers = {
                "PostgreSQL": psutil.Process(postgres.pid),
                "broker": psutil.Process(broker.pid),
            }
            ceiling_rate = await ceiling(bootstrap, total) if throughput else 1.0
            if throughput:
                print(
                    f"(a) ceiling, bare consumer + json.loads + count: {ceiling_rate:,.0f} events/s"
                )
            for replicas in (1, 2) if throughput else ():
                group = f"bench-aggregator-{replicas}"
                result = await aggregator_run(
                    bootstrap,
                    dsn,
                    replicas=replicas,
                    total=total,
                    expected=expected,
                    log_dir=work,
                    group=group,
                    servers=servers,
                )
                ratio = result["events_per_s"] / ceiling_rate
                rss = ", ".join(f"{mb:.0f}" for mb in result["peak_rss_mb"])
                print(
                    f"(b) aggregator × {replicas}: {result['events_per_s']:,.0f} events/s "
                    f"({result['seconds']:.2f} s) = {ratio:.2f} × (a) [target ≥ 0.45]; "
                    f"exact: {result['exact']}; peak RSS MB: {rss} [target ≤ 300]"
                )
                cpu = ", ".join(
                    f"{name} {seconds:.2f}" for name, seconds in result["cpu_s"].items()
                )
                print(f"    CPU s meanwhile ({psutil.cpu_count()} cores): {cpu}")
            with intake(bootstrap, dsn, work) as intake_url:
                conn = await asyncpg.connect(dsn)
                await reset(conn)
                await conn.close()
                # The last group has consumed the load: this run sees only the new events.
                with aggregators(bootstrap, dsn, replicas=1, group=group, log_dir=work) as procs:
                    # The group settles on its one member (the previous ones' session ends).
                    while assigned(procs[0][0]) < PARTITIONS:  # noqa: ASYNC110
                        await asyncio.sleep(0.1)
                    result = await latency(
                        bootstrap, dsn, intake_url=intake_url, seconds=latency_seconds
                    )
                    # The same, straight to Kafka: the rate is reached whatever intake manages.
                    direct = await latency(bootstrap, dsn, intake_url=None, seconds=latency_seconds)
            path = "accepted by intake (202)" if intake_url else "produced to Kafka"
            for label, figures in ((path, result), ("produced to Kafka", direct)):
                print(
                    f"(c) {label} → visible in counters, 500 events/s asked "
                    f"({figures['sent_per_s']:.0f}/s achieved) for {latency_seconds:.0f} s: "
                    f"p50 {figures['p50_s']:.3f} s, p95 {figures['p95_s']:.3f} s, max "
                    f"{figures['max_s']:.3f} s ({figures['visible']}/{figures['events']} seen, "
                    f"refused or failed: {figures['failures'] or 'none'}) [target p95 ≤ 1 s]"
                )
        finally:
            postgres.stop()
            broker.stop()


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    parser.add_argument(
        "--latency-only", action="store_true", help="skip (a) and (b); use with --events 0"
    )
    args = parser.parse_args()
    asyncio.run(orchestrate(args.events, args.latency_seconds, throughput=not args.latency_only))


if __name__ == "__main__":
    main()
