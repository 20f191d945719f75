"""The reporting SQL, kept as SQL. Every figure comes from `incident_counters` (never from raw
incidents) rolled up to any territory through the `territory_ancestors` closure.

Landlord-scoped variants differ only by `{landlord}`, filled with `LANDLORD_FILTER` or nothing by
`with_landlord`. Optional filters written `$n IS NULL OR …` cost nothing: the pool plans every
statement with its values (plan_cache_mode = force_custom_plan), so the planner folds them."""

from __future__ import annotations

LANDLORD_FILTER = "AND c.landlord_id = $landlord"

# Where a territory's rows come from, as a FROM item named `c` (statements say `{rows}`):
# - its descendants' counters (any level, any landlord: the landlord predicate goes inside);
# - for the upper levels, all landlords: the roll-up for its clean days, and the counters for
#   the days changed since the last refresh ($dirty), so that answers are never stale.
COUNTERS_ROWS = """(
    SELECT c.* FROM territory_ancestors a
    JOIN incident_counters c ON c.territory_id = a.territory_id
    WHERE a.ancestor_id = $1 {landlord}
) AS c"""

_ROLLUP_COLUMNS = """r.day, r.category, r.incidents, r.severity_1, r.severity_2, r.severity_3,
           r.severity_4, r.target_patrimoine, r.target_personnel, r.target_prestataire,
           r.target_locataire, r.target_autre, r.complaint_plainte, r.complaint_main_courante,
           r.complaint_aucune, r.complaint_inconnu, r.cost_eur"""

ROLLUP_ROWS = f"""(
    SELECT {_ROLLUP_COLUMNS}
    FROM reporting_rollup r
    WHERE r.territory_id = $1 AND r.day <> ALL($dirty::date[])
    UNION ALL
    SELECT {_ROLLUP_COLUMNS}
    FROM territory_ancestors a
    JOIN incident_counters r ON r.territory_id = a.territory_id
    WHERE a.ancestor_id = $1 AND r.day = ANY($dirty::date[])
) AS c"""


def sources(sql: str, *, rollup: bool, position: int) -> str:
    """A statement reading the counters, or the roll-up with dirty days bound at `$position`."""
    rows = ROLLUP_ROWS.replace("$dirty", f"${position}") if rollup else COUNTERS_ROWS
    return sql.replace("{rows}", rows)


def with_landlord(sql: str, *, landlord: bool, position: int) -> str:
    """The statement with or without the landlord predicate (bound at `$position`)."""
    clause = LANDLORD_FILTER.replace("$landlord", f"${position}") if landlord else ""
    return sql.replace("{landlord}", clause)


TERRITORY = """
SELECT territory_id, kind, name, code, departement_code, region_code, population, households,
       social_dwellings,
       (SELECT max(changed_at) FROM reporting_counters_changed) AS as_of,
       (SELECT NOT full_rebuild FROM reporting_rollup_state) AS rollup_ready,
       (SELECT coalesce(array_agg(DISTINCT day), '{}') FROM reporting_dirty_days) AS dirty_days
FROM territories WHERE territory_id = $1
"""

# Partner scope: is $1 one of the key's territories or inside one of them?
WITHIN_ANY = """
SELECT EXISTS (SELECT 1 FROM territory_ancestors WHERE territory_id = $1 AND ancestor_id = ANY($2))
"""

TERRITORIES = """
SELECT t.territory_id, t.kind, t.name, t.code, t.departement_code, t.region_code, t.population,
       t.households, t.social_dwellings
FROM territories t
WHERE ($1::text IS NULL OR t.kind = $1)
  AND ($2::text IS NULL OR t.name ILIKE '%' || $2 || '%' OR t.territory_id ILIKE $2 || '%')
  AND ($3::text IS NULL OR t.departement_code = $3)
  AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM territory_ancestors a
                                   WHERE a.territory_id = t.territory_id AND a.ancestor_id = $4))
ORDER BY array_position(ARRAY['pays','region','departement','commune','qpv'], t.kind), t.name,
         t.territory_id
LIMIT $5
"""

# $1 territory, $2 previous period start, $3 current period start, $4 end.
# One pass over both periods; `current` tells them apart.
SUMMARY = """
SELECT c.category, c.day >= $3 AS current,
       sum(c.incidents)::bigint AS incidents,
       sum(c.severity_1)::bigint AS severity_1, sum(c.severity_2)::bigint AS severity_2,
       sum(c.severity_3)::bigint AS severity_3, sum(c.severity_4)::bigint AS severity_4,
       sum(c.target_patrimoine)::bigint AS target_patrimoine,
       sum(c.target_personnel)::bigint AS target_personnel,
       sum(c.target_prestataire)::bigint AS target_prestataire,
       sum(c.target_locataire)::bigint AS target_locataire,
       sum(c.target_autre)::bigint AS target_autre,
       sum(c.complaint_plainte)::bigint AS complaint_plainte,
       sum(c.complaint_main_courante)::bigint AS complaint_main_courante,
       sum(c.complaint_aucune)::bigint AS complaint_aucune,
       sum(c.complaint_inconnu)::bigint AS complaint_inconnu,
       sum(c.cost_eur) AS cost_eur
FROM {rows}
WHERE c.day BETWEEN $2 AND $4
GROUP BY c.category, c.day >= $3
"""

# $1 territory, $2 start, $3 end, $4 bucket ('day'|'week'|'month'), $5 categories.
TIMESERIES = """
SELECT date_trunc($4, c.day)::date AS bucket,
       sum(c.incidents)::bigint AS incidents,
       sum(c.complaint_plainte)::bigint AS plainte
FROM {rows}
WHERE c.day BETWEEN $2 AND $3 AND ($5::text[] IS NULL OR c.category = ANY($5::text[]))
GROUP BY 1
"""

# Ranking of QPVs: their counters' own rows (a QPV has no descendant but itself).
# $1 start, $2 end, $3 categories, $4 within (ancestor), $5 limit, $6 metric.
_RANKING_SELECT = """
SELECT t.territory_id, t.name, t.kind, t.departement_code, t.region_code, t.social_dwellings,
       coalesce(k.incidents, 0)::bigint AS incidents
FROM territories t
JOIN territory_ancestors w ON w.territory_id = t.territory_id AND w.ancestor_id = $4
LEFT JOIN counts k ON k.territory_id = t.territory_id
WHERE t.kind = $7
ORDER BY CASE WHEN $6 = 'count' THEN coalesce(k.incidents, 0) END DESC,
         CASE WHEN $6 <> 'count' THEN coalesce(k.incidents, 0) * 1000.0
                                       / nullif(t.social_dwellings, 0) END DESC NULLS LAST,
         coalesce(k.incidents, 0) DESC, t.territory_id
LIMIT $5
"""

RANKING_QPV = (
    """
WITH counts AS (
    SELECT c.territory_id, sum(c.incidents) AS incidents
    FROM incident_counters c
    WHERE c.day BETWEEN $1 AND $2 AND ($3::text[] IS NULL OR c.category = ANY($3::text[]))
          {landlord}
    GROUP BY c.territory_id
)"""
    + _RANKING_SELECT
)

# The same from reporting_daily for its clean days and the counters for the dirty ones ($8);
# only without a landlord or a category filter.
RANKING_QPV_DAILY = (
    """
WITH counts AS (
    SELECT territory_id, sum(incidents) AS incidents
    FROM (
        SELECT d.territory_id, d.incidents FROM reporting_daily d
        WHERE d.day BETWEEN $1 AND $2 AND d.day <> ALL($8::date[])
        UNION ALL
        SELECT c.territory_id, c.incidents FROM incident_counters c
        WHERE c.day BETWEEN $1 AND $2 AND c.day = ANY($8::date[])
    ) AS x
    WHERE $3::text[] IS NULL
    GROUP BY territory_id
)"""
    + _RANKING_SELECT
)

# Ranking of communes, départements, régions: counters rolled up to the ancestors of kind $7.
RANKING_ANCESTORS = (
    """
WITH counts AS (
    SELECT a.ancestor_id AS territory_id, sum(c.incidents) AS incidents
    FROM incident_counters c
    JOIN territory_ancestors a ON a.territory_id = c.territory_id
    JOIN territories g ON g.territory_id = a.ancestor_id AND g.kind = $7
    WHERE c.day BETWEEN $1 AND $2 AND ($3::text[] IS NULL OR c.category = ANY($3::text[]))
          {landlord}
    GROUP BY a.ancestor_id
)"""
    + _RANKING_SELECT
)

# Complaint gap. $1 territory, $2 previous start, $3 current start, $4 end.
_GAP_SUMS = """
       sum(c.incidents) FILTER (WHERE c.day >= $3)::bigint AS incidents,
       sum(c.complaint_plainte) FILTER (WHERE c.day >= $3)::bigint AS plainte,
       sum(c.incidents) FILTER (WHERE c.day < $3)::bigint AS previous_incidents,
       sum(c.complaint_plainte) FILTER (WHERE c.day < $3)::bigint AS previous_plainte
FROM {rows}
WHERE c.day BETWEEN $2 AND $4
"""

GAP_BY = {
    "category": "SELECT c.category AS key," + _GAP_SUMS + "GROUP BY c.category",
    "territory": "SELECT c.territory_id AS key," + _GAP_SUMS + "GROUP BY c.territory_id",
    "landlord": "SELECT c.landlord_id AS key," + _GAP_SUMS + "GROUP BY c.landlord_id",
}

# The gap by territory from reporting_daily (all landlords) for its clean days and the counters
# for the dirty ones ($5).
GAP_BY_TERRITORY_DAILY = """
SELECT x.territory_id AS key,
       sum(x.incidents) FILTER (WHERE x.day >= $3)::bigint AS incidents,
       sum(x.plainte) FILTER (WHERE x.day >= $3)::bigint AS plainte,
       sum(x.incidents) FILTER (WHERE x.day < $3)::bigint AS previous_incidents,
       sum(x.plainte) FILTER (WHERE x.day < $3)::bigint AS previous_plainte
FROM (
    SELECT d.territory_id, d.day, d.incidents, d.plainte FROM reporting_daily d
    WHERE d.day BETWEEN $2 AND $4 AND d.day <> ALL($5::date[])
    UNION ALL
    SELECT c.territory_id, c.day, c.incidents, c.complaint_plainte FROM incident_counters c
    WHERE c.day BETWEEN $2 AND $4 AND c.day = ANY($5::date[])
) AS x
JOIN territory_ancestors a ON a.territory_id = x.territory_id AND a.ancestor_id = $1
GROUP BY x.territory_id
"""

TERRITORY_NAMES = """
SELECT territory_id, name, kind, social_dwellings FROM territories WHERE territory_id = ANY($1)
"""

# Export: counts per territory of kind $3 × category. $1 start, $2 end.
EXPORT_QPV = """
SELECT c.territory_id, c.category, sum(c.incidents)::bigint AS incidents,
       sum(c.complaint_plainte)::bigint AS plainte
FROM incident_counters c
JOIN territories t ON t.territory_id = c.territory_id AND t.kind = $3
WHERE c.day BETWEEN $1 AND $2 {landlord}
GROUP BY c.territory_id, c.category
"""

EXPORT_ANCESTORS = """
SELECT a.ancestor_id AS territory_id, c.category, sum(c.incidents)::bigint AS incidents,
       sum(c.complaint_plainte)::bigint AS plainte
FROM incident_counters c
JOIN territory_ancestors a ON a.territory_id = c.territory_id
JOIN territories t ON t.territory_id = a.ancestor_id AND t.kind = $3
WHERE c.day BETWEEN $1 AND $2 {landlord}
GROUP BY a.ancestor_id, c.category
"""

EXPORT_TERRITORIES = """
SELECT territory_id, kind, name, departement_code, region_code, social_dwellings
FROM territories WHERE kind = $1 ORDER BY territory_id
"""

# Freshness and the roll-ups' state, for requests that do not look a territory up.
FRESHNESS = """
SELECT (SELECT max(changed_at) FROM reporting_counters_changed) AS as_of,
       (SELECT NOT full_rebuild FROM reporting_rollup_state) AS rollup_ready,
       (SELECT coalesce(array_agg(DISTINCT day), '{}') FROM reporting_dirty_days) AS dirty_days
"""

# Which of some territories ($2) lie inside $1 (itself included).
INSIDE = """
SELECT territory_id FROM territory_ancestors WHERE ancestor_id = $1 AND territory_id = ANY($2)
"""
