-- gap_by_territory.sql for all landlords once the roll-ups are built: reporting_daily for its
-- days except the dirty ones ($5), read from the counters (see summary_rollup.sql).
SELECT x.territory_id AS key,
       sum(x.incidents) FILTER (WHERE x.day >= $3)::bigint AS incidents,
       sum(x.plainte) FILTER (WHERE x.day >= $3)::bigint AS plainte,
       sum(x.incidents) FILTER (WHERE x.day < $3)::bigint AS previous_incidents,
       sum(x.plainte) FILTER (WHERE x.day < $3)::bigint AS previous_plainte
FROM (
    SELECT d.territory_id, d.day, d.incidents, d.plainte
    FROM reporting_daily d
    WHERE d.day BETWEEN $2 AND $4 AND d.day <> ALL($5::date[])
    UNION ALL
    SELECT k.territory_id, k.day, k.incidents, k.complaint_plainte
    FROM incident_counters k
    WHERE k.day BETWEEN $2 AND $4 AND k.day = ANY($5::date[])
) AS x
JOIN territory_ancestors a ON a.territory_id = x.territory_id AND a.ancestor_id = $1
GROUP BY x.territory_id
