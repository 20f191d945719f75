-- The counters of some territories, recomputed from the current incident states.
INSERT INTO rebuilt_counters (
    territory_id, day, category, landlord_id, incidents,
    severity_1, severity_2, severity_3, severity_4,
    target_patrimoine, target_personnel, target_prestataire, target_locataire, target_autre,
    complaint_plainte, complaint_main_courante, complaint_aucune, complaint_inconnu, cost_eur)
SELECT territory_id, day, category, landlord_id, count(*),
       count(*) FILTER (WHERE severity = 1), count(*) FILTER (WHERE severity = 2),
       count(*) FILTER (WHERE severity = 3), count(*) FILTER (WHERE severity = 4),
       count(*) FILTER (WHERE target = 'patrimoine'), count(*) FILTER (WHERE target = 'personnel'),
       count(*) FILTER (WHERE target = 'prestataire'), count(*) FILTER (WHERE target = 'locataire'),
       count(*) FILTER (WHERE target = 'autre'),
       count(*) FILTER (WHERE complaint = 'plainte'),
       count(*) FILTER (WHERE complaint = 'main_courante'),
       count(*) FILTER (WHERE complaint = 'aucune'), count(*) FILTER (WHERE complaint = 'inconnu'),
       coalesce(sum(cost_eur), 0)
FROM incidents
WHERE NOT withdrawn AND territory_id = ANY($1::text[])
GROUP BY territory_id, day, category, landlord_id
