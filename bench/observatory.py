"""The annual observatory for all régions on the 2,000,000-incident data set of bench.reporting
(1,518 QPVs, 8 landlords, 3 years back from today): the last complete year against the one
before. Target: ≤ 2 s for `GET /v1/observatory` (JSON, every région and département).

Beside it, in the same run and against the same service: the baselines `/health/live` (the HTTP
stack) and the France summary over the same year (the roll-up's answer of reporting's cheapest
year-long figure), then the PDF and the CSV (for information), and the observatory's two
statements run alone (the database's share of the time).

    .venv/bin/python -m bench.observatory [--incidents N] [--requests N]

Uses DATABASE_URL's server if set (in a fresh database), else an embedded PostgreSQL in a
temporary directory."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.reporting import loaded_data, sizes, vacuum, wait_for_rollups
from tests.support.services import service_process
from vigie.contract.nomenclature import default_nomenclature
from vigie_reporting import observatory_store
from vigie_reporting.observatory import DEGRADATIONS
from vigie_reporting.periods import today_in_paris

TARGET_S = 2.0


def scenarios(year: int) -> dict[str, str]:
    """Name → URL path, measured in this order."""
    return {
        "baseline /health/live": "/health/live",
        f"baseline France summary {year}": (
            f"/v1/territories/FR/summary?from={year}-01-01&to={year}-12-31"
        ),
        "observatory JSON (all régions)": f"/v1/observatory?year={year}",
        "(info) observatory CSV": f"/v1/observatory.csv?year={year}",
        "(info) observatory PDF": f"/v1/observatory.pdf?year={year}",
    }


async def measure(
    base_url: str, plan: dict[str, str], *, token: str, requests: int
) -> dict[str, dict[str, float]]:
    """Sequential requests per scenario after a first one (timed apart: the observatory's first
    request builds the roll-up of its two years); seconds."""
    results: dict[str, dict[str, float]] = {}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120) as http:
        for name, path in plan.items():
            started = time.perf_counter()
            (await http.get(path)).raise_for_status()
            first = time.perf_counter() - started
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                response = await http.get(path)
                times.append(time.perf_counter() - started)
                response.raise_for_status()
            results[name] = {
                "first": first,
                "median": statistics.median(times),
                "max": max(times),
                "bytes": len(response.content),
            }
    return results


async def statements(dsn: str, *, year: int, requests: int) -> dict[str, float]:
    """Median seconds of the observatory's statements run alone (no HTTP, no Python)."""
    nomenclature = default_nomenclature()
    conn = await asyncpg.connect(dsn, server_settings={"plan_cache_mode": "force_custom_plan"})
    timings: dict[str, list[float]] = {"sums (2 years)": [], "coverage": [], "rows": []}
    try:
        for _ in range(requests):
            started = time.perf_counter()
            rows = await observatory_store.sums(
                conn,
                year=year,
                categories=[c.code for c in nomenclature.categories],
                domains=[c.domain for c in nomenclature.categories],
                degradations=list(DEGRADATIONS),
            )
            timings["sums (2 years)"].append(time.perf_counter() - started)
            timings["rows"].append(len(rows))
            started = time.perf_counter()
            await observatory_store.covered(conn, year=year)
            timings["coverage"].append(time.perf_counter() - started)
    finally:
        await conn.close()
    return {name: statistics.median(values) for name, values in timings.items()}


def report(
    results: dict[str, dict[str, float]], alone: dict[str, float], facts: dict[str, Any]
) -> bool:
    """Print the figures; True when the target is met."""
    print(
        f"\nincidents {facts['incident_rows']:,}, counter rows {facts['counter_rows']:,}, "
        f"database {facts['database']}"
    )
    print(
        f"\n{'request (sequential)':<40} {'first':>9} {'median':>9} {'max':>9} {'bytes':>10}"
        "  target"
    )
    ok = True
    for name, figures in results.items():
        verdict = ""
        if not name.startswith(("baseline", "(info)")):
            met = figures["max"] <= TARGET_S
            ok &= met
            verdict = f"max ≤ {TARGET_S:.0f} s {'OK' if met else 'MISSED'}"
        print(
            f"{name:<40} {figures['first']:>8.3f}s {figures['median']:>8.3f}s "
            f"{figures['max']:>8.3f}s "
            f"{int(figures['bytes']):>10,}  {verdict}"
        )
    print(
        f"statements alone: sums from the roll-up {alone['sums (2 years)']:.3f} s "
        f"({int(alone['rows']):,} rows), "
        f"coverage {alone['coverage']:.3f} s"
    )
    return ok


def main() -> int:
    """Load, serve, measure, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=2_000_000)
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()
    year = today_in_paris().year - 1
    token = secrets.token_urlsafe(24)
    with (
        tempfile.TemporaryDirectory(prefix="vigie-bench-observatory-") as tmp,
        loaded_data(Path(tmp), incidents=args.incidents, prefix="bench_obs") as (
            dsn,
            bootstrap,
            timings,
        ),
    ):
        print("load: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
        env = {
            "DATABASE_URL": dsn,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "VIGIE_ADMIN_TOKEN": token,
            "VIGIE_ALERTS_URL": "http://127.0.0.1:9",
        }
        with service_process("reporting", env=env, log_dir=Path(tmp) / "logs") as url:
            # Measured once the service's first build of its roll-ups is done.
            asyncio.run(wait_for_rollups(dsn))
            asyncio.run(vacuum(dsn))
            facts = asyncio.run(sizes(dsn))
            results = asyncio.run(
                measure(url, scenarios(year), token=token, requests=args.requests)
            )
            alone = asyncio.run(statements(dsn, year=year, requests=args.requests))
            print(f"\nthe observatory of {year} (against {year - 1}), as of {date.today()}")
            ok = report(results, alone, facts)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
