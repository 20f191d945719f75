-- Complaint gap inside territory $1 by counters' territory (QPVs mostly); periods as in
-- gap_by_category.sql; from the counters, every landlord or only $5
-- (gap_by_territory_daily.sql reads reporting_daily instead).
SELECT c.territory_id AS key,
       sum(c.incidents) FILTER (WHERE c.day >= $3)::bigint AS incidents,
       sum(c.complaint_plainte) FILTER (WHERE c.day >= $3)::bigint AS plainte,
       sum(c.incidents) FILTER (WHERE c.day < $3)::bigint AS previous_incidents,
       sum(c.complaint_plainte) FILTER (WHERE c.day < $3)::bigint AS previous_plainte
FROM territory_ancestors a
JOIN incident_counters c ON c.territory_id = a.territory_id
WHERE a.ancestor_id = $1 AND c.day BETWEEN $2 AND $4 AND ($5::text IS NULL OR c.landlord_id = $5)
GROUP BY c.territory_id
