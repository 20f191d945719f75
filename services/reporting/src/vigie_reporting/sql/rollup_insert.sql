-- reporting_rollup for some days ($1): the counters summed up to the country,
-- the régions and the départements, by day and category, all landlords.
INSERT INTO reporting_rollup
SELECT a.ancestor_id, c.day, c.category,
       sum(c.incidents), sum(c.severity_1), sum(c.severity_2), sum(c.severity_3),
       sum(c.severity_4), sum(c.target_patrimoine), sum(c.target_personnel),
       sum(c.target_prestataire), sum(c.target_locataire), sum(c.target_autre),
       sum(c.complaint_plainte), sum(c.complaint_main_courante), sum(c.complaint_aucune),
       sum(c.complaint_inconnu), sum(c.cost_eur)
FROM incident_counters c
JOIN territory_ancestors a ON a.territory_id = c.territory_id
JOIN territories t ON t.territory_id = a.ancestor_id
                  AND t.kind IN ('pays', 'region', 'departement')
WHERE c.day = ANY($1::date[])
GROUP BY a.ancestor_id, c.day, c.category
