"""Writes a territory tree to PostgreSQL: an upsert that is idempotent and reports progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from vigie.platform.territories import TerritoryTree

_UPSERT = """
INSERT INTO territories AS t (territory_id, kind, name, code, departement_code, region_code,
                              population, households, social_dwellings)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::int[], $8::int[], $9::int[])
ON CONFLICT (territory_id) DO UPDATE SET
    kind = excluded.kind, name = excluded.name, code = excluded.code,
    departement_code = excluded.departement_code, region_code = excluded.region_code,
    population = excluded.population, households = excluded.households,
    social_dwellings = excluded.social_dwellings, updated_at = now()
WHERE (t.kind, t.name, t.code, t.departement_code, t.region_code, t.population, t.households,
       t.social_dwellings)
      IS DISTINCT FROM
      (excluded.kind, excluded.name, excluded.code, excluded.departement_code,
       excluded.region_code, excluded.population, excluded.households, excluded.social_dwellings)
RETURNING (xmax = 0) AS inserted
"""

_ADD_ANCESTORS = """
INSERT INTO territory_ancestors (ancestor_id, territory_id)
SELECT * FROM unnest($1::text[], $2::text[])
ON CONFLICT DO NOTHING
"""

_CHUNK = 200


@dataclass(frozen=True)
class ImportResult:
    """What an import changed."""

    qpvs: int
    communes: int
    departements: int
    regions: int
    inserted: int
    updated: int


async def store_territories(
    conn: asyncpg.Connection,
    tree: TerritoryTree,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Upsert every territory and the hierarchy in one transaction; unchanged rows stay as is.

    Territories are never deleted: incidents and counters may refer to them."""
    rows = sorted(tree.territories.values(), key=lambda t: (t.kind != "pays", t.territory_id))
    inserted = updated = 0
    async with conn.transaction():
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            columns = [
                [getattr(t, name) for t in chunk]
                for name in (
                    "territory_id",
                    "kind",
                    "name",
                    "code",
                    "departement_code",
                    "region_code",
                    "population",
                    "households",
                    "social_dwellings",
                )
            ]
            for record in await conn.fetch(_UPSERT, *columns):
                if record["inserted"]:
                    inserted += 1
                else:
                    updated += 1
            if on_progress:
                on_progress(start + len(chunk), len(rows))
        pairs = sorted(tree.ancestors)
        await conn.execute(_ADD_ANCESTORS, [a for a, _ in pairs], [t for _, t in pairs])
    return ImportResult(
        qpvs=tree.qpv_count,
        communes=tree.count("commune"),
        departements=tree.count("departement"),
        regions=tree.count("region"),
        inserted=inserted,
        updated=updated,
    )
