-- Incidents and plaintes of territory $1 per bucket ($4: 'day', 'week' or 'month') from $2 to
-- $3, of some categories ($5, NULL: all). Rows as in summary.sql: $6 the dirty days (roll-up),
-- $7 the landlord.
SELECT date_trunc($4, c.day)::date AS bucket,
       sum(c.incidents)::bigint AS incidents,
       sum(c.complaint_plainte)::bigint AS plainte
FROM (
    SELECT r.day, r.category, r.incidents, r.complaint_plainte
    FROM reporting_rollup r
    WHERE $6::date[] IS NOT NULL AND r.territory_id = $1 AND r.day <> ALL($6::date[])
    UNION ALL
    SELECT k.day, k.category, k.incidents, k.complaint_plainte
    FROM territory_ancestors a
    JOIN incident_counters k ON k.territory_id = a.territory_id
    WHERE a.ancestor_id = $1
      AND ($6::date[] IS NULL OR k.day = ANY($6::date[]))
      AND ($7::text IS NULL OR k.landlord_id = $7)
) AS c
WHERE c.day BETWEEN $2 AND $3 AND ($5::text[] IS NULL OR c.category = ANY($5::text[]))
GROUP BY 1
