-- timeseries.sql for an upper level, all landlords, once the roll-up is built: reporting_rollup
-- for its days except the dirty ones ($6), read from the counters (see summary_rollup.sql).
SELECT date_trunc($4, c.day)::date AS bucket,
       sum(c.incidents)::bigint AS incidents,
       sum(c.complaint_plainte)::bigint AS plainte
FROM (
    SELECT r.day, r.category, r.incidents, r.complaint_plainte
    FROM reporting_rollup r
    WHERE r.territory_id = $1 AND r.day <> ALL($6::date[])
    UNION ALL
    SELECT k.day, k.category, k.incidents, k.complaint_plainte
    FROM territory_ancestors a
    JOIN incident_counters k ON k.territory_id = a.territory_id
    WHERE a.ancestor_id = $1 AND k.day = ANY($6::date[])
) AS c
WHERE c.day BETWEEN $2 AND $3 AND ($5::text[] IS NULL OR c.category = ANY($5::text[]))
GROUP BY 1
