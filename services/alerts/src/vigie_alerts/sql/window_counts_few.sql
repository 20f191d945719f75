-- window_counts.sql for few territories (a counters.changed.v1 message): one range scan of the
-- counters' primary key per descendant. The aggregate in the LATERAL subquery keeps the planner
-- from turning it back into the join, which it picks from a parameter array however short (a
-- scan of every counter of the window: 50-180 ms for 20 QPVs, against 1-12 ms here).
-- Parameters as in window_counts.sql.
SELECT a.ancestor_id AS territory_id, sum(w.count)::bigint AS count
FROM territory_ancestors a
CROSS JOIN LATERAL (
    SELECT sum(alerts_measure(c, $6, $7)) AS count
    FROM incident_counters c
    WHERE c.territory_id = a.territory_id
      AND c.day BETWEEN $2::date AND $3::date
      AND ($4::text[] IS NULL OR c.category = ANY($4::text[]))
      AND ($5::text IS NULL OR c.landlord_id = $5::text)
) AS w
WHERE a.ancestor_id = ANY($1::text[])
GROUP BY a.ancestor_id
HAVING sum(w.count) IS NOT NULL
