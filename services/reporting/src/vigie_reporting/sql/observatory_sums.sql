-- The annual observatory's sums from its roll-up (years $1, the previous one, and $2): by
-- département (or région, for a fact placed above any département), landlord, year (`current`)
-- and GSUP domain (category $3[i] is in domain $4[i]), with the degradation categories $5 apart.
SELECT y.departement_code, y.region_code, y.landlord_id, y.year = $2 AS current, d.domain,
       sum(y.facts)::bigint AS facts,
       sum(y.plainte)::bigint AS plainte,
       sum(y.residents)::bigint AS residents,
       sum(y.staff)::bigint AS staff,
       sum(y.property)::bigint AS property,
       sum(y.other)::bigint AS other,
       (sum(y.facts) FILTER (WHERE y.category = ANY($5::text[])))::bigint AS degradations,
       sum(y.cost_eur) FILTER (WHERE y.category = ANY($5::text[])) AS degradation_cost
FROM reporting_observatory_years y
LEFT JOIN unnest($3::text[], $4::text[]) AS d(category, domain) ON d.category = y.category
WHERE y.year IN ($1, $2)
GROUP BY y.departement_code, y.region_code, y.landlord_id, y.year = $2, d.domain
