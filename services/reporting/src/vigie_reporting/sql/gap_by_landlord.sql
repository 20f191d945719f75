-- Complaint gap inside territory $1 by landlord, from the counters (the roll-ups hold all
-- landlords together); periods as in gap_by_category.sql; every landlord or only $5.
SELECT k.landlord_id AS key,
       sum(k.incidents) FILTER (WHERE k.day >= $3)::bigint AS incidents,
       sum(k.complaint_plainte) FILTER (WHERE k.day >= $3)::bigint AS plainte,
       sum(k.incidents) FILTER (WHERE k.day < $3)::bigint AS previous_incidents,
       sum(k.complaint_plainte) FILTER (WHERE k.day < $3)::bigint AS previous_plainte
FROM territory_ancestors a
JOIN incident_counters k ON k.territory_id = a.territory_id
WHERE a.ancestor_id = $1 AND k.day BETWEEN $2 AND $4 AND ($5::text IS NULL OR k.landlord_id = $5)
GROUP BY k.landlord_id
