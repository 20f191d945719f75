-- Export: counts per QPV ($3 = 'qpv') and category from $1 to $2, every landlord or only $4.
SELECT k.territory_id, k.category, sum(k.incidents)::bigint AS incidents,
       sum(k.complaint_plainte)::bigint AS plainte
FROM incident_counters k
JOIN territories t ON t.territory_id = k.territory_id AND t.kind = $3
WHERE k.day BETWEEN $1 AND $2 AND ($4::text IS NULL OR k.landlord_id = $4)
GROUP BY k.territory_id, k.category
