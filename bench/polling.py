"""Dashboards that poll: 200 wall screens asking a QPV summary every 5 s while events flow.

Builds the data as bench.reporting does (incidents drawn inside PostgreSQL, counters rebuilt),
starts the real reporting service as its own process, then keeps the counters changing the way
the aggregator does after each batch (counter rows upserted for today on QPVs drawn at random,
then announced on counters.changed.v1). Three phases of the same length, in one run:

- events only: no polling (what the consumer and the roll-up refresh cost);
- baseline: every dashboard asks without If-None-Match (each poll computes the answer);
- ETag: every dashboard sends the tag of its last answer (a 304 unless its QPV changed).

Reported per phase: reporting's CPU (process CPU seconds per minute of wall time, from
/proc/<pid>/stat), its PostgreSQL backends' CPU, the CPU a request adds beyond the events-only
phase, and the p50/p95 latency of 200s and 304s seen by the dashboards (each its own keep-alive
connection, driven by a minimal HTTP client); and the cost of the freshness lookup alone
(sql/data_version.sql, sequential round trips).

    .venv/bin/python -m bench.polling [--incidents N] [--dashboards N] [--interval S]
                                      [--seconds S] [--events-per-s N]"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer

from bench._services import start_service, stop, wait_ready
from bench.reporting import loaded_data, vacuum, wait_for_rollups
from vigie.contract import topics
from vigie.contract.nomenclature import default_nomenclature
from vigie_aggregator.notify import change_messages
from vigie_reporting.repository import DATA_VERSION

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# One aggregator batch's effect on the counters: one more incident on each (QPV, today,
# category) drawn, landlord hlm-flow.
UPSERT = """
INSERT INTO incident_counters AS c (territory_id, day, category, landlord_id, incidents,
                                    severity_1, target_patrimoine, complaint_aucune)
SELECT t, current_date, k, 'hlm-flow', 1, 1, 1, 1
FROM unnest($1::text[], $2::text[]) AS x (t, k)
ON CONFLICT (territory_id, day, category, landlord_id) DO UPDATE SET
    incidents = c.incidents + 1, severity_1 = c.severity_1 + 1,
    target_patrimoine = c.target_patrimoine + 1, complaint_aucune = c.complaint_aucune + 1
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    seconds: float = 0.0
    cpu_s: float = 0.0
    latencies: dict[int, list[float]] = field(default_factory=dict)
    events: int = 0
    errors: int = 0  # polls sent again on a new connection (see dashboard)
    db_cpu_s: float = 0.0


async def feed(dsn: str, bootstrap: str, qpvs: list[str], *, per_s: int, stop_at: float) -> int:
    """Counter changes announced on the topic, every 0.5 s, until `stop_at`; events written."""
    categories = [c.code for c in default_nomenclature().categories]
    conn = await asyncpg.connect(dsn)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    written = 0
    try:
        loop = asyncio.get_running_loop()
        tick = loop.time()
        while loop.time() < stop_at:
            n = max(1, per_s // 2)
            drawn = random.choices(qpvs, k=n)
            kinds = random.choices(categories, k=n)
            await conn.execute(UPSERT, drawn, kinds)
            now = datetime.now(UTC)
            for payload in change_messages([(q, now.date()) for q in drawn], committed_at=now):
                await producer.send_and_wait(topics.COUNTERS_CHANGED, value=payload)
            written += n
            tick += 0.5
            await asyncio.sleep(max(0.0, tick - loop.time()))
    finally:
        await producer.stop()
        await conn.close()
    return written


class Connection:
    """One keep-alive HTTP/1.1 connection sending GETs, one at a time: httpx costs more CPU per
    request than reporting answering a 304, and on 2 cores the client would measure itself."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer

    @classmethod
    async def open(cls, url: str) -> Connection:
        """Connect to `http://host:port`."""
        host, port = url.removeprefix("http://").split(":")
        return cls(*await asyncio.open_connection(host, int(port)))

    async def get(self, path: str, *, token: str, if_none_match: str | None) -> tuple[int, str]:
        """The status and the ETag (empty when none); the body is read and dropped."""
        extra = f"If-None-Match: {if_none_match}\r\n" if if_none_match else ""
        self._writer.write(
            f"GET {path} HTTP/1.1\r\nHost: reporting\r\nAuthorization: Bearer {token}\r\n"
            f"{extra}\r\n".encode()
        )
        head = await self._reader.readuntil(b"\r\n\r\n")
        length, tag = 0, ""
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
            elif name.lower() == b"etag":
                tag = value.strip().decode()
        await self._reader.readexactly(length)
        return int(head[9:12]), tag

    def close(self) -> None:
        """Close the connection."""
        self._writer.close()


async def dashboard(
    url: str,
    token: str,
    path: str,
    *,
    conditional: bool,
    interval: float,
    stop_at: float,
    phase: Phase,
) -> None:
    """One wall screen: a poll every `interval` s (first one at a random offset)."""
    loop = asyncio.get_running_loop()
    tag: str | None = None
    connection = await Connection.open(url)
    tick = loop.time() + random.uniform(0, interval)
    await asyncio.sleep(max(0.0, tick - loop.time()))
    try:
        while loop.time() < stop_at:
            started = time.perf_counter()
            try:
                status, got = await connection.get(
                    path, token=token, if_none_match=tag if conditional else None
                )
            except (OSError, asyncio.IncompleteReadError):
                # uvicorn closes a connection idle for 5 s (its keep-alive timeout), the
                # polling interval: the poll is sent again on a new one, as a client would.
                phase.errors += 1
                connection.close()
                connection = await Connection.open(url)
                started = time.perf_counter()
                status, got = await connection.get(
                    path, token=token, if_none_match=tag if conditional else None
                )
            elapsed = (time.perf_counter() - started) * 1000
            phase.latencies.setdefault(status, []).append(elapsed)
            tag = got or tag
            tick += interval
            await asyncio.sleep(max(0.0, tick - loop.time()))
    finally:
        connection.close()


async def run_phase(
    name: str,
    *,
    url: str,
    token: str,
    pid: int,
    dsn: str,
    bootstrap: str,
    qpvs: list[str],
    polled: list[str],
    args: argparse.Namespace,
) -> Phase:
    """Events flowing for `args.seconds`, with the dashboards polling (or not)."""
    phase = Phase(name)
    backends = {b: cpu_seconds(b) for b in await backend_pids(dsn)}
    loop = asyncio.get_running_loop()
    stop_at = loop.time() + args.seconds
    cpu_before, wall_before = cpu_seconds(pid), time.perf_counter()
    feeder = asyncio.create_task(
        feed(dsn, bootstrap, qpvs, per_s=args.events_per_s, stop_at=stop_at)
    )
    if name != "events only":
        conditional = name == "ETag"
        await asyncio.gather(
            *(
                dashboard(
                    url,
                    token,
                    f"/v1/territories/{q}/summary",
                    conditional=conditional,
                    interval=args.interval,
                    stop_at=stop_at,
                    phase=phase,
                )
                for q in polled
            )
        )
    phase.events = await feeder
    phase.seconds = time.perf_counter() - wall_before
    phase.cpu_s = cpu_seconds(pid) - cpu_before
    # Backends the pool opened during the phase count from 0.
    phase.db_cpu_s = sum(cpu_seconds(b) - backends.get(b, 0.0) for b in await backend_pids(dsn))
    return phase


async def backend_pids(dsn: str) -> list[int]:
    """The PostgreSQL backends serving reporting (its pool's connections)."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'vigie-reporting'"
        )
    finally:
        await conn.close()
    return [r["pid"] for r in rows if Path(f"/proc/{r['pid']}/stat").exists()]


async def lookup_cost(dsn: str, territory_id: str, *, n: int = 2000) -> float:
    """Median µs of one freshness lookup (sql/data_version.sql) round trip."""
    conn = await asyncpg.connect(dsn)
    try:
        timings = []
        for _ in range(n):
            started = time.perf_counter()
            await conn.fetchrow(DATA_VERSION, [territory_id])
            timings.append((time.perf_counter() - started) * 1e6)
    finally:
        await conn.close()
    return statistics.median(timings)


async def polled_qpvs(dsn: str, count: int) -> tuple[list[str], list[str]]:
    """Every QPV (where events fall) and the `count` with the most dwellings (the screens)."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT territory_id FROM territories WHERE kind = 'qpv'"
            " ORDER BY social_dwellings DESC NULLS LAST, territory_id"
        )
    finally:
        await conn.close()
    every = [r["territory_id"] for r in rows]
    return every, every[:count]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * q) - 1)] if ordered else float("nan")


def report(phases: list[Phase], lookup_us: float, args: argparse.Namespace) -> None:
    """Print the figures: CPU seconds per minute of wall time (60 = one core busy), for the
    reporting process and for its PostgreSQL backends, and per request beyond the events-only
    phase (what polling adds)."""
    print(
        f"\n{args.dashboards} dashboards, one QPV summary each every {args.interval:.0f} s, "
        f"{args.events_per_s} events/s flowing; {args.seconds:.0f} s per phase"
    )
    print(
        f"{'phase':<12} {'CPU s/min':>9} {'PG s/min':>8} {'ms/req':>6} {'200s':>5} "
        f"{'p50 200':>8} {'p95 200':>8} {'304s':>5} {'p50 304':>8} {'p95 304':>8} {'reconn.':>7}"
    )
    idle = phases[0]
    for p in phases:
        ok, nm = p.latencies.get(200, []), p.latencies.get(304, [])
        per_min = p.cpu_s * 60 / p.seconds
        db_per_min = p.db_cpu_s * 60 / p.seconds
        requests = len(ok) + len(nm)
        added = (
            (p.cpu_s - idle.cpu_s * p.seconds / idle.seconds) * 1000 / requests if requests else 0
        )
        print(
            f"{p.name:<12} {per_min:>9.2f} {db_per_min:>8.2f} {added:>6.2f} {len(ok):>5} "
            f"{statistics.median(ok) if ok else float('nan'):>6.1f}ms "
            f"{percentile(ok, 0.95):>6.1f}ms {len(nm):>5} "
            f"{statistics.median(nm) if nm else float('nan'):>6.1f}ms "
            f"{percentile(nm, 0.95):>6.1f}ms {p.errors:>7}"
        )
        others = {s: len(v) for s, v in p.latencies.items() if s not in (200, 304)}
        if others:
            print(f"  other statuses: {others}")
    print(f"freshness lookup alone (data_version.sql round trip): median {lookup_us:.0f} µs")
    with open("/proc/loadavg") as loadavg:
        print(f"machine load average at the end: {loadavg.read().split()[0]}")


def main() -> int:
    """Load, serve, poll, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--dashboards", type=int, default=200)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--events-per-s", type=int, default=20)
    args = parser.parse_args()
    random.seed(42)
    token = secrets.token_urlsafe(24)
    with (
        tempfile.TemporaryDirectory(prefix="vigie-bench-polling-") as tmp,
        loaded_data(Path(tmp), incidents=args.incidents, prefix="bench_poll") as (
            dsn,
            bootstrap,
            _,
        ),
    ):
        env = {
            "DATABASE_URL": dsn,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "VIGIE_ADMIN_TOKEN": token,
            "VIGIE_ALERTS_URL": "http://127.0.0.1:9",
        }
        url, service = start_service("reporting", env=env, log=Path(tmp) / "reporting.log")
        try:
            wait_ready(url, service)
            asyncio.run(wait_for_rollups(dsn))
            asyncio.run(vacuum(dsn))
            qpvs, polled = asyncio.run(polled_qpvs(dsn, args.dashboards))
            phases = [
                asyncio.run(
                    run_phase(
                        name,
                        url=url,
                        token=token,
                        pid=service.pid,
                        dsn=dsn,
                        bootstrap=bootstrap,
                        qpvs=qpvs,
                        polled=polled,
                        args=args,
                    )
                )
                for name in ("events only", "baseline", "ETag")
            ]
            lookup_us = asyncio.run(lookup_cost(dsn, polled[0]))
            report(phases, lookup_us, args)
        finally:
            stop(service)
    return 0


if __name__ == "__main__":
    sys.exit(main())
