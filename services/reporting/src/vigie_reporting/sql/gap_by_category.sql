-- Complaint gap of territory $1 by category: incidents and plaintes of the period ($3 to $4) and
-- of the previous one ($2 to the day before $3), from the counters of its descendants, every
-- landlord or only $5 (gap_by_category_rollup.sql reads the roll-up instead).
SELECT c.category AS key,
       sum(c.incidents) FILTER (WHERE c.day >= $3)::bigint AS incidents,
       sum(c.complaint_plainte) FILTER (WHERE c.day >= $3)::bigint AS plainte,
       sum(c.incidents) FILTER (WHERE c.day < $3)::bigint AS previous_incidents,
       sum(c.complaint_plainte) FILTER (WHERE c.day < $3)::bigint AS previous_plainte
FROM territory_ancestors a
JOIN incident_counters c ON c.territory_id = a.territory_id
WHERE a.ancestor_id = $1 AND c.day BETWEEN $2 AND $4 AND ($5::text IS NULL OR c.landlord_id = $5)
GROUP BY c.category
