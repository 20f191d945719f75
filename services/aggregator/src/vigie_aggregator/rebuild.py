"""Recompute every counter from the stored incident states, in one transaction.

The (territory, day) pairs whose rows it corrected go to the outbox in the same transaction
(rebuild_compare.sql), so counters.changed.v1 announces them like a batch's changes: every
reader of the counters (reporting's roll-ups, alerts) hears of a rebuild the one way it hears of
any change, at least once, once an aggregator's leftover round publishes them (within about a
minute). A rebuild that corrects nothing announces nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vigie_aggregator.repository import Conn, sql

PREPARE = sql("rebuild_prepare.sql")
TERRITORIES = sql("rebuild_territories.sql")
CHUNK = sql("rebuild_chunk.sql")
COMPARE = sql("rebuild_compare.sql")
REPLACE = sql("rebuild_replace.sql")
CHUNK_INCIDENTS = 50_000


@dataclass(frozen=True, slots=True)
class RebuildResult:
    """What a rebuild found and wrote."""

    incidents: int  # counted incidents
    rows: int  # counter rows written
    differing: int  # rows that differed from the live counters before the rebuild


async def rebuild_counters(
    conn: Conn, *, on_progress: Callable[[int, int], None] | None = None
) -> RebuildResult:
    """Replace incident_counters with counts recomputed from incidents; report the difference."""
    progress = on_progress or (lambda done, total: None)
    async with conn.transaction():
        await conn.execute(PREPARE)
        per_territory = [(row[0], row[1]) for row in await conn.fetch(TERRITORIES)]
        total = sum(count for _, count in per_territory)
        progress(0, total)
        done = 0
        for chunk, incidents in _chunks(per_territory):
            await conn.execute(CHUNK, chunk)
            done += incidents
            progress(done, total)
        differing: int = await conn.fetchval(COMPARE)
        await conn.execute(REPLACE)
        rows: int = await conn.fetchval("SELECT count(*) FROM rebuilt_counters")
    return RebuildResult(incidents=total, rows=rows, differing=differing)


def _chunks(per_territory: list[tuple[str, int]]) -> list[tuple[list[str], int]]:
    chunks: list[tuple[list[str], int]] = []
    ids: list[str] = []
    size = 0
    for territory_id, count in per_territory:
        ids.append(territory_id)
        size += count
        if size >= CHUNK_INCIDENTS:
            chunks.append((ids, size))
            ids, size = [], 0
    if ids:
        chunks.append((ids, size))
    return chunks
