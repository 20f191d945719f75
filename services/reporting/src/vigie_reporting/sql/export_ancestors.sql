-- Export: counts per territory of kind $3 (commune, département, région) and category from $1
-- to $2, the counters rolled up to them, every landlord or only $4.
SELECT a.ancestor_id AS territory_id, k.category, sum(k.incidents)::bigint AS incidents,
       sum(k.complaint_plainte)::bigint AS plainte
FROM incident_counters k
JOIN territory_ancestors a ON a.territory_id = k.territory_id
JOIN territories t ON t.territory_id = a.ancestor_id AND t.kind = $3
WHERE k.day BETWEEN $1 AND $2 AND ($4::text IS NULL OR k.landlord_id = $4)
GROUP BY a.ancestor_id, k.category
