-- Counter sums of territory $1 by category over the period and the previous one, in one pass:
-- $2 previous period start, $3 current period start, $4 end; `current` tells them apart.
--
-- Where the rows come from (the same in timeseries.sql and gap_by_category.sql):
-- - $5 NULL: the counters of $1's descendants, every landlord or only $6;
-- - $5 the dirty days (all landlords, upper levels, roll-up built): reporting_rollup for the
--   other days, and the counters for the dirty ones, so that answers never wait for a refresh.
-- The pool plans each statement with its values (plan_cache_mode = force_custom_plan), so the
-- branch and the filters that do not apply fold away.
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
FROM (
    SELECT r.day, r.category, r.incidents, r.severity_1, r.severity_2, r.severity_3,
           r.severity_4, r.target_patrimoine, r.target_personnel, r.target_prestataire,
           r.target_locataire, r.target_autre, r.complaint_plainte, r.complaint_main_courante,
           r.complaint_aucune, r.complaint_inconnu, r.cost_eur
    FROM reporting_rollup r
    WHERE $5::date[] IS NOT NULL AND r.territory_id = $1 AND r.day <> ALL($5::date[])
    UNION ALL
    SELECT k.day, k.category, k.incidents, k.severity_1, k.severity_2, k.severity_3,
           k.severity_4, k.target_patrimoine, k.target_personnel, k.target_prestataire,
           k.target_locataire, k.target_autre, k.complaint_plainte, k.complaint_main_courante,
           k.complaint_aucune, k.complaint_inconnu, k.cost_eur
    FROM territory_ancestors a
    JOIN incident_counters k ON k.territory_id = a.territory_id
    WHERE a.ancestor_id = $1
      AND ($5::date[] IS NULL OR k.day = ANY($5::date[]))
      AND ($6::text IS NULL OR k.landlord_id = $6)
) AS c
WHERE c.day BETWEEN $2 AND $4
GROUP BY c.category, c.day >= $3
