-- The annual observatory's sums: the counters from $1 (the previous year's first day) to $3 (the
-- year's last day), `current` from $2 (the year's first day), by département (or région, for a
-- fact placed above any département), landlord and GSUP domain (category $4[i] is in domain
-- $5[i]), with the degradation categories $6 apart. A few thousand rows for all of France.
SELECT t.departement_code, t.region_code, c.landlord_id, c.day >= $2 AS current, d.domain,
       sum(c.incidents)::bigint AS facts,
       sum(c.complaint_plainte)::bigint AS plainte,
       sum(c.target_locataire)::bigint AS residents,
       sum(c.target_personnel + c.target_prestataire)::bigint AS staff,
       sum(c.target_patrimoine)::bigint AS property,
       sum(c.target_autre)::bigint AS other,
       (sum(c.incidents) FILTER (WHERE c.category = ANY($6::text[])))::bigint AS degradations,
       sum(c.cost_eur) FILTER (WHERE c.category = ANY($6::text[])) AS degradation_cost
FROM incident_counters c
JOIN territories t ON t.territory_id = c.territory_id
LEFT JOIN unnest($4::text[], $5::text[]) AS d(category, domain) ON d.category = c.category
WHERE c.day BETWEEN $1 AND $3
GROUP BY t.departement_code, t.region_code, c.landlord_id, c.day >= $2, d.domain
