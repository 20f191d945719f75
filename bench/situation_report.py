"""Generation time of the CLSPD situation report (PDF) of a commune with 6 QPVs, on the
reporting benchmark's data set (2,000,000 incidents by default, drawn as `bench.reporting`
draws them), beside a baseline measured in the same run: the shared summary (JSON) of the same
commune and period. Target: p95 ≤ 2 s for the report.

    .venv/bin/python -m bench.situation_report [--incidents N] [--requests N] [--commune ID]

Requests are sequential (the latency one person waits for), from this process to the reporting
service running as its own process, with the default period (the last 30 days; the report's
trend covers 12 months whatever the period). The machine's load average is printed beside the
figures: the report is CPU-bound (WeasyPrint's layout), so a busy machine slows it in proportion.
Uses DATABASE_URL's server if set (in a fresh database), else an embedded PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.reporting import loaded_data, vacuum, wait_for_rollups
from tests.support.services import service_process

TARGET_S = 2.0
QPVS = 6

# The busiest commune (last 30 days) among those with exactly 6 QPVs.
COMMUNE_WITH_SIX_QPVS = """
SELECT c.territory_id, c.name
FROM territories c
JOIN territory_ancestors a ON a.ancestor_id = c.territory_id
JOIN territories q ON q.territory_id = a.territory_id AND q.kind = 'qpv'
WHERE c.kind = 'commune'
GROUP BY c.territory_id, c.name
HAVING count(*) = $1
ORDER BY (SELECT coalesce(sum(k.incidents), 0) FROM territory_ancestors d
          JOIN incident_counters k ON k.territory_id = d.territory_id
          WHERE d.ancestor_id = c.territory_id AND k.day > current_date - 30) DESC,
         c.territory_id
LIMIT 1
"""


async def commune(dsn: str, chosen: str | None) -> tuple[str, str]:
    """The commune to report on: the one named, else the busiest with 6 QPVs."""
    conn = await asyncpg.connect(dsn)
    try:
        if chosen:
            name = await conn.fetchval(
                "SELECT name FROM territories WHERE territory_id = $1", chosen
            )
            return chosen, str(name)
        row = await conn.fetchrow(COMMUNE_WITH_SIX_QPVS, QPVS)
    finally:
        await conn.close()
    assert row is not None, "no commune with 6 QPVs in the reference"
    return row["territory_id"], row["name"]


async def measure(
    base_url: str, paths: dict[str, str], *, token: str, requests: int
) -> dict[str, dict[str, Any]]:
    """Sequential requests per path after two warm-ups: p50/p95/max in seconds, last size."""
    results: dict[str, dict[str, Any]] = {}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120) as http:
        for name, path in paths.items():
            for _ in range(2):
                (await http.get(path)).raise_for_status()
            latencies = []
            for _ in range(requests):
                started = time.perf_counter()
                response = await http.get(path)
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()
            latencies.sort()
            results[name] = {
                "p50": statistics.median(latencies),
                "p95": latencies[max(0, int(len(latencies) * 0.95) - 1)],
                "max": latencies[-1],
                "bytes": len(response.content),
            }
    return results


def report(results: dict[str, dict[str, Any]], *, place: tuple[str, str], load_avg: str) -> bool:
    """Print the figures; True when the target is met."""
    print(f"\ncommune {place[1]} ({place[0]}, {QPVS} QPVs), last 30 days; load average {load_avg}")
    print(f"{'request (sequential)':<36} {'p50':>8} {'p95':>8} {'max':>8} {'size':>9}  target")
    ok = True
    for name, figures in results.items():
        verdict = ""
        if name.startswith("situation report"):
            met = figures["p95"] <= TARGET_S
            ok &= met
            verdict = f"p95 ≤ {TARGET_S:.0f} s {'OK' if met else 'MISSED'}"
        print(
            f"{name:<36} {figures['p50'] * 1000:>6.0f}ms {figures['p95'] * 1000:>6.0f}ms "
            f"{figures['max'] * 1000:>6.0f}ms {figures['bytes']:>8,}B  {verdict}"
        )
    return ok


def main() -> int:
    """Load, serve, measure, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=2_000_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--commune", help="territory id (default: the busiest with 6 QPVs)")
    args = parser.parse_args()
    token = secrets.token_urlsafe(24)
    with (
        tempfile.TemporaryDirectory(prefix="vigie-bench-situation-") as tmp,
        loaded_data(Path(tmp), incidents=args.incidents, prefix="bench_sit") as (
            dsn,
            bootstrap,
            timings,
        ),
    ):
        print("load: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()), flush=True)
        env = {
            "DATABASE_URL": dsn,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "VIGIE_ADMIN_TOKEN": token,
            "VIGIE_ALERTS_URL": "http://127.0.0.1:9",
        }
        with service_process("reporting", env=env, log_dir=Path(tmp) / "logs") as url:
            asyncio.run(wait_for_rollups(dsn))
            asyncio.run(vacuum(dsn))
            place = asyncio.run(commune(dsn, args.commune))
            paths = {
                "baseline: shared summary (JSON)": f"/v1/shared/territories/{place[0]}/summary",
                "situation report (PDF)": f"/v1/shared/territories/{place[0]}/report.pdf",
            }
            results = asyncio.run(measure(url, paths, token=token, requests=args.requests))
            load_avg = " ".join(f"{v:.1f}" for v in os.getloadavg())
            ok = report(results, place=place, load_avg=load_avg)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
