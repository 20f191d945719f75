"""Reporting latency with 2,000,000 incidents (1,518 QPVs over 3 years).

Loads the incidents fast (drawn inside PostgreSQL with one INSERT…SELECT over generate_series,
then one INSERT…SELECT…GROUP BY into `incident_counters`, as `vigie rebuild` would), starts the
real reporting service as its own process, and measures p50/p95/p99 from a load client in
another process, sequential requests (one at a time: the latency a user sees), beside the
baseline of `/health/live` (the HTTP stack without the database). Target: p95 ≤ 50 ms for a
QPV summary, a région summary, the ranking of all QPVs and the complaint gap, over the default
period (the last 30 days).

    .venv/bin/python -m bench.reporting [--incidents N] [--requests N] [--serve]

Uses DATABASE_URL's server if set (in a fresh database), else an embedded PostgreSQL in a
temporary directory. `--serve` keeps the service running afterwards (for a look at the
dashboard with realistic data)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.support.infra import create_database
from tests.support.services import service_process
from vigie.contract.events import COMPLAINTS, TARGETS
from vigie.contract.nomenclature import default_nomenclature
from vigie.platform.kafka import ensure_topics
from vigie.platform.migrate import apply_migrations
from vigie.platform.territories import parse_territories, reference_csv
from vigie.platform.territory_store import store_territories
from vigie_aggregator.rebuild import rebuild_counters
from vigie_devtools.broker import EmbeddedBroker
from vigie_devtools.postgres import EmbeddedPostgres

TARGET_MS = 50.0

# Synthetic incidents drawn inside PostgreSQL (the fastest load there is): QPVs weighted by their
# social dwellings (one slot per 200 dwellings), categories by a realistic mix, 8 landlords,
# 3 years back from today, 2 % withdrawn (kept in incidents, absent from the counters).
# Rows go in in `occurred_at` order, as a live feed writes them.
SEED = "SELECT setseed(0.42)"

QPV_SLOTS = """
CREATE TEMP TABLE qpv_slots AS
SELECT (row_number() OVER (ORDER BY territory_id) - 1)::int AS slot, territory_id
FROM territories, generate_series(1, greatest(1, coalesce(social_dwellings, 0) / 200))
WHERE kind = 'qpv'
"""

CATEGORY_SLOTS = """
CREATE TEMP TABLE category_slots AS
SELECT (row_number() OVER () - 1)::int AS slot, category
FROM unnest($1::text[], $2::int[]) AS w(category, weight), generate_series(1, w.weight)
"""

INCIDENTS_DRAWN = """
INSERT INTO incidents (landlord_id, incident_id, revision, event_id, withdrawn, territory_id,
                       category, occurred_at, day, severity, target, complaint, cost_eur)
SELECT 'hlm-0' || (1 + floor(d.l * 8))::int, 'B' || d.g, 1, gen_random_uuid(), d.w < 0.02,
       q.territory_id, c.category, d.occurred_at, (d.occurred_at AT TIME ZONE 'Europe/Paris')::date,
       CASE WHEN d.s < 0.40 THEN 1 WHEN d.s < 0.75 THEN 2 WHEN d.s < 0.93 THEN 3 ELSE 4 END,
       ($4::text[])[width_bucket(d.t, $5::float8[]) + 1],
       ($6::text[])[width_bucket(d.p, $7::float8[]) + 1],
       CASE WHEN d.k < 0.4 THEN round((-300 * ln(1 - d.k2))::numeric, 2) END
FROM (
    SELECT g, random() AS l, random() AS w, random() AS s, random() AS t, random() AS p,
           random() AS k, random() AS k2,
           floor(random() * $2)::int AS qs, floor(random() * $3)::int AS cs,
           now() - random() * interval '1095 days' AS occurred_at
    FROM generate_series(1, $1) AS g
) AS d
JOIN qpv_slots q ON q.slot = d.qs
JOIN category_slots c ON c.slot = d.cs
ORDER BY d.occurred_at
"""

CATEGORY_WEIGHTS = [14, 3, 6, 12, 16, 2, 4, 9, 2, 6, 8, 3, 2, 3, 3, 1, 5, 2]
# The contract's targets and complaint values (TARGETS, COMPLAINTS) are drawn by cutting [0, 1)
# at these bounds, in their order: targets 60 %, 12 %, 5 %, 18 %, 5 % (patrimoine first);
# complaints 18 %, 7 %, 60 %, 15 % (plainte first).
TARGET_BOUNDS = [0.60, 0.72, 0.77, 0.95]
COMPLAINT_BOUNDS = [0.18, 0.25, 0.85]


async def load(dsn: str, *, count: int) -> dict[str, float]:
    """Migrate, load the reference, draw the incidents and build the counters; timings in s."""
    conn = await asyncpg.connect(dsn, command_timeout=3600)
    timings: dict[str, float] = {}
    try:
        await apply_migrations(conn)
        await store_territories(conn, parse_territories(reference_csv()))
        categories = [c.code for c in default_nomenclature().categories]
        started = time.perf_counter()
        await conn.execute(SEED)
        await conn.execute(QPV_SLOTS)
        await conn.execute(CATEGORY_SLOTS, categories, CATEGORY_WEIGHTS)
        slots = await conn.fetchval("SELECT count(*) FROM qpv_slots")
        category_slots = await conn.fetchval("SELECT count(*) FROM category_slots")
        await conn.execute(
            INCIDENTS_DRAWN,
            count,
            slots,
            category_slots,
            list(TARGETS),
            TARGET_BOUNDS,
            list(COMPLAINTS),
            COMPLAINT_BOUNDS,
        )
        timings["draw incidents"] = time.perf_counter() - started
        started = time.perf_counter()
        # The counters are built the way `vigie rebuild` builds them.
        await rebuild_counters(conn)
        timings["build counters"] = time.perf_counter() - started
        await conn.execute("VACUUM ANALYZE incident_counters")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return timings


@contextmanager
def loaded_data(
    tmp: Path, *, incidents: int, prefix: str
) -> Iterator[tuple[str, str, dict[str, float]]]:
    """A database (DATABASE_URL's server, else an embedded PostgreSQL in `tmp`) loaded with
    `incidents`, and an embedded broker with the topics: (dsn, bootstrap, load timings). The
    reporting benchmarks all start from this data set."""
    server = None
    if os.environ.get("DATABASE_URL"):
        dsn = asyncio.run(create_database(os.environ["DATABASE_URL"], prefix=prefix))
    else:
        server = EmbeddedPostgres(tmp)
        dsn = server.start()
    broker = EmbeddedBroker(tmp)
    try:
        bootstrap = broker.start()
        asyncio.run(ensure_topics(bootstrap, partitions=1))
        print(f"loading {incidents:,} incidents…", flush=True)
        timings = asyncio.run(load(dsn, count=incidents))
        yield dsn, bootstrap, timings
    finally:
        broker.stop()
        if server is not None:
            server.stop()


# What an aggregator batch does to the counters: an upsert of many keys (here 500 keys of today).
UPSERT_BATCH = """
INSERT INTO incident_counters AS c (territory_id, day, category, landlord_id, incidents,
                                    severity_1, target_patrimoine, complaint_aucune)
SELECT q.territory_id, current_date, 'BIE-TAG', 'hlm-bench', 1, 1, 1, 1
FROM (SELECT territory_id FROM territories WHERE kind = 'qpv'
      ORDER BY territory_id OFFSET $1 LIMIT 500) AS q
ON CONFLICT (territory_id, day, category, landlord_id) DO UPDATE SET
    incidents = c.incidents + 1, severity_1 = c.severity_1 + 1,
    target_patrimoine = c.target_patrimoine + 1, complaint_aucune = c.complaint_aucune + 1
"""


async def trigger_overhead(dsn: str, *, batches: int = 300) -> dict[str, float]:
    """Median ms per 500-key counters upsert with reporting's triggers, and without them
    (session_replication_role = replica skips triggers): their cost to the aggregator.
    The two modes alternate batch by batch so that load on the machine hits both alike."""
    conn = await asyncpg.connect(dsn)
    timings: dict[str, list[float]] = {"without triggers": [], "with triggers": []}
    roles = {"without triggers": "replica", "with triggers": "origin"}
    try:
        for n in range(4):  # create the rows first: the timed batches all update
            await conn.execute(UPSERT_BATCH, (n * 500) % 1000)
        for n in range(batches):
            for label, role in roles.items():
                await conn.execute(f"SET session_replication_role = {role}")
                started = time.perf_counter()
                async with conn.transaction():
                    await conn.execute(UPSERT_BATCH, (n * 500) % 1000)
                timings[label].append((time.perf_counter() - started) * 1000)
        await conn.execute("SET session_replication_role = origin")
        await conn.execute("DELETE FROM incident_counters WHERE landlord_id = 'hlm-bench'")
    finally:
        await conn.close()
    return {label: statistics.median(values) for label, values in timings.items()}


async def vacuum(dsn: str) -> None:
    """VACUUM ANALYZE the roll-ups just built, as autovacuum would soon."""
    conn = await asyncpg.connect(dsn, command_timeout=600)
    try:
        await conn.execute("VACUUM ANALYZE reporting_rollup, reporting_daily")
    finally:
        await conn.close()


async def wait_for_rollups(dsn: str, *, within: float = 900) -> float:
    """Wait until the service has built its roll-ups (it starts on them at once); seconds."""
    conn = await asyncpg.connect(dsn)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < within:
            built = await conn.fetchval(
                "SELECT NOT full_rebuild AND NOT EXISTS (SELECT 1 FROM reporting_dirty_days)"
                " FROM reporting_rollup_state"
            )
            if built:
                return time.perf_counter() - started
            await asyncio.sleep(0.5)
    finally:
        await conn.close()
    raise TimeoutError("the roll-ups were not built in time")


async def sizes(dsn: str) -> dict[str, Any]:
    """Database and table sizes, and row counts."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            """
            SELECT pg_size_pretty(pg_database_size(current_database())) AS database,
                   pg_size_pretty(pg_total_relation_size('incidents')) AS incidents,
                   pg_size_pretty(pg_total_relation_size('incident_counters')) AS counters,
                   pg_size_pretty(pg_total_relation_size('reporting_rollup')
                                  + pg_total_relation_size('reporting_daily')) AS rollups,
                   (SELECT count(*) FROM incidents) AS incident_rows,
                   (SELECT count(*) FROM incident_counters) AS counter_rows,
                   (SELECT count(*) FROM reporting_rollup)
                   + (SELECT count(*) FROM reporting_daily) AS rollup_rows
            """
        )
        busiest = await conn.fetch(
            """
            SELECT territory_id FROM incident_counters
            WHERE day > current_date - 30 GROUP BY territory_id ORDER BY sum(incidents) DESC
            LIMIT 20
            """
        )
    finally:
        await conn.close()
    assert row is not None
    return {**dict(row), "busiest_qpvs": [r["territory_id"] for r in busiest]}


def scenarios(busiest: list[str]) -> dict[str, list[str]]:
    """Name → URL paths cycled through by the load client."""
    return {
        "baseline /health/live": ["/health/live"],
        "QPV summary": [f"/v1/territories/{q}/summary" for q in busiest],
        "région summary (Île-de-France)": ["/v1/territories/REG-11/summary"],
        "ranking of all QPVs (by rate)": [
            "/v1/rankings?kind=qpv&metric=rate_per_1000_dwellings&limit=2000"
        ],
        "complaint gap (France, by category)": ["/v1/complaint-gap?group_by=category"],
        "(info) France summary, 1 year": [
            f"/v1/territories/FR/summary?from={date.today() - timedelta(days=364)}"
        ],
        "(info) complaint gap by QPV": ["/v1/complaint-gap?group_by=territory"],
    }


async def client(
    base_url: str, plan: dict[str, list[str]], *, token: str, requests: int
) -> dict[str, Any]:
    """The load client: sequential requests per scenario, latencies in ms."""
    results: dict[str, Any] = {}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as http:
        for name, paths in plan.items():
            for path in paths[:5]:  # warm-up
                (await http.get(path)).raise_for_status()
            latencies = []
            for n in range(requests):
                started = time.perf_counter()
                response = await http.get(paths[n % len(paths)])
                latencies.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            latencies.sort()
            results[name] = {
                "p50": statistics.median(latencies),
                "p95": latencies[int(len(latencies) * 0.95) - 1],
                "p99": latencies[int(len(latencies) * 0.99) - 1],
                "bytes": len(response.content),
            }
    return results


def run_client(
    base_url: str, plan: dict[str, list[str]], *, token: str, requests: int
) -> dict[str, Any]:
    """Run the load client in another process and read its JSON answer."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.reporting",
            "--client",
            base_url,
            "--requests",
            str(requests),
        ],
        input=json.dumps({"plan": plan, "token": token}),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"load client failed: {out.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def report(results: dict[str, Any], facts: dict[str, Any], timings: dict[str, float]) -> bool:
    """Print the figures; True when every target is met."""
    print(
        f"\nincidents {facts['incident_rows']:,} ({facts['incidents']}), counter rows "
        f"{facts['counter_rows']:,} ({facts['counters']}), roll-up rows "
        f"{facts['rollup_rows']:,} ({facts['rollups']}), database {facts['database']}"
    )
    print("load: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    print(f"\n{'request (sequential, last 30 days)':<40} {'p50':>8} {'p95':>8} {'p99':>8}  target")
    ok = True
    for name, figures in results.items():
        targeted = not name.startswith(("baseline", "(info)"))
        verdict = ""
        if targeted:
            met = figures["p95"] <= TARGET_MS
            ok &= met
            verdict = f"p95 ≤ {TARGET_MS:.0f} ms {'OK' if met else 'MISSED'}"
        print(
            f"{name:<40} {figures['p50']:>6.1f}ms {figures['p95']:>6.1f}ms "
            f"{figures['p99']:>6.1f}ms  {verdict}"
        )
    return ok


def main() -> int:
    """Load, serve, measure, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=2_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--serve", action="store_true", help="keep the service up afterwards")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        given = json.loads(sys.stdin.read())
        figures = client(args.client, given["plan"], token=given["token"], requests=args.requests)
        print(json.dumps(asyncio.run(figures)))
        return 0
    token = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="vigie-bench-reporting-") as tmp:
        server = None
        if os.environ.get("DATABASE_URL"):
            dsn = asyncio.run(create_database(os.environ["DATABASE_URL"], prefix="bench_rep"))
        else:
            server = EmbeddedPostgres(Path(tmp))
            dsn = server.start()
        broker = EmbeddedBroker(Path(tmp))
        try:
            bootstrap = broker.start()
            asyncio.run(ensure_topics(bootstrap, partitions=1))
            print(f"loading {args.incidents:,} incidents…", flush=True)
            timings = asyncio.run(load(dsn, count=args.incidents))
            env = {
                "DATABASE_URL": dsn,
                "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                "VIGIE_ADMIN_TOKEN": token,
                "VIGIE_ALERTS_URL": "http://127.0.0.1:9",
            }
            with service_process("reporting", env=env, log_dir=Path(tmp) / "logs") as url:
                timings["roll-ups (by the service)"] = asyncio.run(wait_for_rollups(dsn))
                asyncio.run(vacuum(dsn))
                facts = asyncio.run(sizes(dsn))
                plan = scenarios(facts["busiest_qpvs"])
                results = run_client(url, plan, token=token, requests=args.requests)
                ok = report(results, facts, timings)
                overhead = asyncio.run(trigger_overhead(dsn))
                print(
                    "\naggregator write cost of reporting's triggers (500-key upsert batch): "
                    + ", ".join(f"{k} {v:.2f} ms" for k, v in overhead.items())
                )
                if args.serve:
                    print(f"\nserving: {url}/#token={token}  (Ctrl-C to stop)", flush=True)
                    signal.signal(signal.SIGTERM, signal.default_int_handler)
                    try:
                        while True:
                            time.sleep(3600)
                    except KeyboardInterrupt:
                        pass
        finally:
            broker.stop()
            if server is not None:
                server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
