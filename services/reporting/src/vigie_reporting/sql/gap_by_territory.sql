-- Complaint gap inside territory $1 by counters' territory (QPVs mostly); periods as in
-- gap_by_category.sql. Rows: $5 the dirty days (all landlords, roll-up built): reporting_daily
-- for the other days and the counters for the dirty ones; $5 NULL: the counters, every
-- landlord or only $6.
SELECT x.territory_id AS key,
       sum(x.incidents) FILTER (WHERE x.day >= $3)::bigint AS incidents,
       sum(x.plainte) FILTER (WHERE x.day >= $3)::bigint AS plainte,
       sum(x.incidents) FILTER (WHERE x.day < $3)::bigint AS previous_incidents,
       sum(x.plainte) FILTER (WHERE x.day < $3)::bigint AS previous_plainte
FROM (
    SELECT d.territory_id, d.day, d.incidents, d.plainte
    FROM reporting_daily d
    WHERE $5::date[] IS NOT NULL AND d.day BETWEEN $2 AND $4 AND d.day <> ALL($5::date[])
    UNION ALL
    SELECT k.territory_id, k.day, k.incidents, k.complaint_plainte
    FROM incident_counters k
    WHERE k.day BETWEEN $2 AND $4
      AND ($5::date[] IS NULL OR k.day = ANY($5::date[]))
      AND ($6::text IS NULL OR k.landlord_id = $6)
) AS x
JOIN territory_ancestors a ON a.territory_id = x.territory_id AND a.ancestor_id = $1
GROUP BY x.territory_id
