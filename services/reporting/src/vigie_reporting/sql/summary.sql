-- Counter sums of territory $1 by category over the period and the previous one, in one pass:
-- $2 previous period start, $3 current period start, $4 end; `current` tells them apart.
-- From the counters of $1's descendants, every landlord or only $5 (summary_rollup.sql reads
-- the roll-up instead).
SELECT c.category, c.day >= $3 AS current,
       sum(c.incidents)::bigint AS incidents,
       sum(c.severity_1)::bigint AS severity_1, sum(c.severity_2)::bigint AS severity_2,
       sum(c.severity_3)::bigint AS severity_3, sum(c.severity_4)::bigint AS severity_4,
       sum(c.target_patrimoine)::bigint AS target_patrimoine,
       sum(c.target_personnel)::bigint AS target_personnel,
       sum(c.target_prestataire)::bigint AS target_prestataire,
       sum(c.target_locataire)::bigint AS target_locataire,
       sum(c.target_autre)::bigint AS target_autre,
       sum(c.complaint_plainte)::bigint AS complaint_plainte,
       sum(c.complaint_main_courante)::bigint AS complaint_main_courante,
       sum(c.complaint_aucune)::bigint AS complaint_aucune,
       sum(c.complaint_inconnu)::bigint AS complaint_inconnu,
       sum(c.cost_eur) AS cost_eur
FROM territory_ancestors a
JOIN incident_counters c ON c.territory_id = a.territory_id
WHERE a.ancestor_id = $1 AND c.day BETWEEN $2 AND $4 AND ($5::text IS NULL OR c.landlord_id = $5)
GROUP BY c.category, c.day >= $3
