-- Complaint gap inside territory $1 by the départements or régions ($6) its counters lie in;
-- periods as in gap_by_category.sql; from the counters, every landlord or only $5
-- (gap_by_ancestor_daily.sql reads reporting_daily instead).
SELECT g.territory_id AS key,
       sum(c.incidents) FILTER (WHERE c.day >= $3)::bigint AS incidents,
       sum(c.complaint_plainte) FILTER (WHERE c.day >= $3)::bigint AS plainte,
       sum(c.incidents) FILTER (WHERE c.day < $3)::bigint AS previous_incidents,
       sum(c.complaint_plainte) FILTER (WHERE c.day < $3)::bigint AS previous_plainte
FROM territory_ancestors w
JOIN incident_counters c ON c.territory_id = w.territory_id
JOIN territory_ancestors a ON a.territory_id = c.territory_id
JOIN territories g ON g.territory_id = a.ancestor_id AND g.kind = $6
WHERE w.ancestor_id = $1 AND c.day BETWEEN $2 AND $4 AND ($5::text IS NULL OR c.landlord_id = $5)
GROUP BY g.territory_id
