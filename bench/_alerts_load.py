"""bench.alerts' data: ten rules over every QPV, and ~120 days of counters for every QPV written
straight into incident_counters (one INSERT … SELECT drawn inside PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import asyncpg

from vigie.contract.nomenclature import default_nomenclature
from vigie.platform.kafka import ensure_topics
from vigie.platform.migrate import apply_migrations
from vigie.platform.territories import parse_territories, reference_csv
from vigie.platform.territory_store import store_territories
from vigie_alerts import repository
from vigie_alerts.rules import Rule

HISTORY_DAYS = 120
PARTITIONS = 12

# Ten rules over every QPV, of each metric, as a landlord's observatory would have them.
RULES: dict[str, dict[str, Any]] = {
    "personnel-7j": {
        "name": "Agressions du personnel (7 jours)",
        "selector": {"categories": ["PER-PHY", "PER-VER"], "targets": ["personnel"]},
        "window_days": 7,
        "levels": {"alerte": 1, "critique": 3},
    },
    "deal-30j": {
        "name": "Points de deal (30 jours)",
        "selector": {"categories": ["TRA-DEA"]},
        "window_days": 30,
        "levels": {"vigilance": 3, "alerte": 6, "critique": 12},
    },
    "incendies-14j": {
        "name": "Incendies (14 jours)",
        "selector": {"categories": ["BIE-INC"]},
        "window_days": 14,
        "levels": {"vigilance": 2, "alerte": 4},
    },
    "graves-hlm-01-30j": {
        "name": "Faits graves chez hlm-01 (30 jours)",
        "scope": {"landlord_id": "hlm-01"},
        "selector": {"min_severity": 3},
        "window_days": 30,
        "levels": {"vigilance": 10, "alerte": 20},
    },
    "taux-30j": {
        "name": "Faits pour 1 000 logements (30 jours)",
        "window_days": 30,
        "metric": "rate_per_1000_dwellings",
        "levels": {"vigilance": 60, "alerte": 120, "critique": 240},
        "min_count": 10,
    },
    "taux-cadre-90j": {
        "name": "Cadre de vie pour 1 000 logements (90 jours)",
        "selector": {"domains": ["cadre_de_vie"]},
        "window_days": 90,
        "metric": "rate_per_1000_dwellings",
        "levels": {"vigilance": 80, "alerte": 160},
        "min_count": 10,
    },
    "taux-insecurite-30j": {
        "name": "Insécurité pour 1 000 logements (30 jours)",
        "selector": {"domains": ["prevention_insecurite"]},
        "window_days": 30,
        "metric": "rate_per_1000_dwellings",
        "levels": {"vigilance": 30, "alerte": 60},
        "min_count": 5,
    },
    "inhabituel-vivre-ensemble-7j": {
        "name": "Vivre ensemble : semaine inhabituelle",
        "selector": {"domains": ["vivre_ensemble"]},
        "window_days": 7,
        "metric": "anomaly",
        "levels": {"vigilance": 3, "alerte": 5, "critique": 8},
        "min_count": 5,
    },
    "inhabituel-7j": {
        "name": "Semaine inhabituelle, tous faits",
        "window_days": 7,
        "metric": "anomaly",
        "levels": {"vigilance": 3, "alerte": 5},
        "min_count": 5,
    },
    "inhabituel-degradations-14j": {
        "name": "Dégradations inhabituelles (14 jours)",
        "selector": {"categories": ["BIE-DEG", "BIE-TAG", "ENV-DEP"]},
        "window_days": 14,
        "metric": "anomaly",
        "levels": {"vigilance": 3, "alerte": 5},
        "min_count": 3,
    },
}
# A realistic mix of categories (the reporting bench's weights, in nomenclature order).
CATEGORY_WEIGHTS = [14, 3, 6, 12, 16, 2, 4, 9, 2, 6, 8, 3, 2, 3, 3, 1, 5, 2]

# ~2 rows per QPV and day (weighted by social dwellings, capped at twice the mean), a single
# severity, target and complaint bucket per row; 3 % of the QPVs with a burst of neighbourhood
# incidents over the last 5 days, for the anomaly rules to find.
COUNTERS_DRAWN = """
WITH qpv AS (
    SELECT territory_id,
           least(2.0, greatest(coalesce(social_dwellings, 0), 300) / 1185.0) AS weight
    FROM territories WHERE kind = 'qpv'
),
slots AS (  -- a CTE calling random() is not inlined: one draw per slot, not per QPV
    SELECT q.territory_id, d.day::date AS day, q.weight, random() AS draw
    FROM qpv AS q
    CROSS JOIN generate_series($2::date, $3::date, interval '1 day') AS d (day)
    CROSS JOIN generate_series(1, 4) AS g
),
drawn AS (
    SELECT territory_id, day,
           ($1::text[])[1 + floor(random() * cardinality($1::text[]))::int] AS category,
           'hlm-0' || (1 + floor(random() * 3))::int AS landlord_id,
           1 + (random() < 0.3)::int AS n, random() AS s, random() AS t
    FROM slots
    WHERE draw < weight * 0.5
    UNION ALL
    SELECT q.territory_id, d.day::date,
           ($4::text[])[1 + floor(random() * cardinality($4::text[]))::int], 'hlm-01', 3,
           random(), random()
    FROM qpv AS q
    CROSS JOIN generate_series($3::date - 4, $3::date, interval '1 day') AS d (day)
    WHERE abs(hashtext(q.territory_id)) % 33 = 0
)
INSERT INTO incident_counters (territory_id, day, category, landlord_id, incidents, severity_1,
    severity_2, severity_3, severity_4, target_patrimoine, target_personnel, target_prestataire,
    target_locataire, target_autre, complaint_aucune)
SELECT territory_id, day, category, landlord_id, sum(n),
       sum(CASE WHEN s < 0.4 THEN n ELSE 0 END),
       sum(CASE WHEN s >= 0.4 AND s < 0.75 THEN n ELSE 0 END),
       sum(CASE WHEN s >= 0.75 AND s < 0.93 THEN n ELSE 0 END),
       sum(CASE WHEN s >= 0.93 THEN n ELSE 0 END),
       sum(CASE WHEN t < 0.6 THEN n ELSE 0 END),
       sum(CASE WHEN t >= 0.6 AND t < 0.72 THEN n ELSE 0 END),
       sum(CASE WHEN t >= 0.72 AND t < 0.77 THEN n ELSE 0 END),
       sum(CASE WHEN t >= 0.77 AND t < 0.95 THEN n ELSE 0 END),
       sum(CASE WHEN t >= 0.95 THEN n ELSE 0 END),
       sum(n)
FROM drawn
GROUP BY territory_id, day, category, landlord_id
"""


def qpv_ids() -> list[str]:
    """The reference QPV ids."""
    tree = parse_territories(reference_csv())
    return sorted(t.territory_id for t in tree.territories.values() if t.kind == "qpv")


async def prepare(bootstrap: str, dsn: str, *, today: date) -> int:
    """Topics, migrations, territories, the counters and the 10 rules; the counter rows."""
    await ensure_topics(bootstrap, partitions=PARTITIONS)
    conn = await asyncpg.connect(dsn, command_timeout=600)
    try:
        await apply_migrations(conn)
        await store_territories(conn, parse_territories(reference_csv()))
        nomenclature = default_nomenclature()
        weighted = [
            c.code
            for c, weight in zip(nomenclature.categories, CATEGORY_WEIGHTS, strict=True)
            for _ in range(weight)
        ]
        together = [c.code for c in nomenclature.categories if c.domain == "vivre_ensemble"]
        first = today - timedelta(days=HISTORY_DAYS - 1)
        await conn.execute("SELECT setseed(0.17)")
        await conn.execute(COUNTERS_DRAWN, weighted, first, today, together)
        await conn.execute("VACUUM ANALYZE incident_counters")
        for rule_id, body in RULES.items():
            await repository.upsert_rule(conn, rule_id, Rule.model_validate(body).model_dump_json())
        return int(await conn.fetchval("SELECT count(*) FROM incident_counters"))
    finally:
        await conn.close()
