-- gap_by_category.sql for an upper level, all landlords, once the roll-up is built:
-- reporting_rollup for its days except the dirty ones ($5), read from the counters (see
-- summary_rollup.sql).
SELECT c.category AS key,
       sum(c.incidents) FILTER (WHERE c.day >= $3)::bigint AS incidents,
       sum(c.complaint_plainte) FILTER (WHERE c.day >= $3)::bigint AS plainte,
       sum(c.incidents) FILTER (WHERE c.day < $3)::bigint AS previous_incidents,
       sum(c.complaint_plainte) FILTER (WHERE c.day < $3)::bigint AS previous_plainte
FROM (
    SELECT r.day, r.category, r.incidents, r.complaint_plainte
    FROM reporting_rollup r
    WHERE r.territory_id = $1 AND r.day <> ALL($5::date[])
    UNION ALL
    SELECT k.day, k.category, k.incidents, k.complaint_plainte
    FROM territory_ancestors a
    JOIN incident_counters k ON k.territory_id = a.territory_id
    WHERE a.ancestor_id = $1 AND k.day = ANY($5::date[])
) AS c
WHERE c.day BETWEEN $2 AND $4
GROUP BY c.category
