-- gap_by_ancestor.sql for all landlords once the roll-ups are built: reporting_daily for its
-- days except the dirty ones ($5), read from the counters (see summary_rollup.sql); $6 the kind.
SELECT g.territory_id AS key,
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
JOIN territory_ancestors w ON w.territory_id = x.territory_id AND w.ancestor_id = $1
JOIN territory_ancestors a ON a.territory_id = x.territory_id
JOIN territories g ON g.territory_id = a.ancestor_id AND g.kind = $6
GROUP BY g.territory_id
