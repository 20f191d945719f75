-- summary.sql for an upper level (country, région, département), all landlords, once the
-- roll-up is built: reporting_rollup for its days, except the dirty ones ($5: changed since the
-- last refresh), read from the counters so that answers never wait for a refresh. (Kept apart
-- from summary.sql: as one statement with the roll-up branch folded away, the counters' join
-- under a UNION ALL costs the plan a subquery scan, about +15 % on a QPV's summary.)
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
    WHERE r.territory_id = $1 AND r.day <> ALL($5::date[])
    UNION ALL
    SELECT k.day, k.category, k.incidents, k.severity_1, k.severity_2, k.severity_3,
           k.severity_4, k.target_patrimoine, k.target_personnel, k.target_prestataire,
           k.target_locataire, k.target_autre, k.complaint_plainte, k.complaint_main_courante,
           k.complaint_aucune, k.complaint_inconnu, k.cost_eur
    FROM territory_ancestors a
    JOIN incident_counters k ON k.territory_id = a.territory_id
    WHERE a.ancestor_id = $1 AND k.day = ANY($5::date[])
) AS c
WHERE c.day BETWEEN $2 AND $4
GROUP BY c.category, c.day >= $3
