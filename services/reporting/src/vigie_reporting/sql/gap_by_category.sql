-- Complaint gap of territory $1 by category: incidents and plaintes of the period ($3 to $4) and
-- of the previous one ($2 to the day before $3). Rows as in summary.sql: $5 the dirty days
-- (roll-up), $6 the landlord.
SELECT c.category AS key,
       sum(c.incidents) FILTER (WHERE c.day >= $3)::bigint AS incidents,
       sum(c.complaint_plainte) FILTER (WHERE c.day >= $3)::bigint AS plainte,
       sum(c.incidents) FILTER (WHERE c.day < $3)::bigint AS previous_incidents,
       sum(c.complaint_plainte) FILTER (WHERE c.day < $3)::bigint AS previous_plainte
FROM (
    SELECT r.day, r.category, r.incidents, r.complaint_plainte
    FROM reporting_rollup r
    WHERE $5::date[] IS NOT NULL AND r.territory_id = $1 AND r.day <> ALL($5::date[])
    UNION ALL
    SELECT k.day, k.category, k.incidents, k.complaint_plainte
    FROM territory_ancestors a
    JOIN incident_counters k ON k.territory_id = a.territory_id
    WHERE a.ancestor_id = $1
      AND ($5::date[] IS NULL OR k.day = ANY($5::date[]))
      AND ($6::text IS NULL OR k.landlord_id = $6)
) AS c
WHERE c.day BETWEEN $2 AND $4
GROUP BY c.category
