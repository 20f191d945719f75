-- Counter rows that gain incidents (or whose breakdown moves): upserted. $1: a JSON array of
-- rows, sorted by key, so that writers lock rows in one order.
INSERT INTO incident_counters AS c (
    territory_id, day, category, landlord_id, incidents,
    severity_1, severity_2, severity_3, severity_4,
    target_patrimoine, target_personnel, target_prestataire, target_locataire, target_autre,
    complaint_plainte, complaint_main_courante, complaint_aucune, complaint_inconnu,
    cost_eur)
SELECT *
FROM json_to_recordset($1::json)
     AS d (territory_id text, day date, category text, landlord_id text, incidents integer,
           severity_1 integer, severity_2 integer, severity_3 integer, severity_4 integer,
           target_patrimoine integer, target_personnel integer, target_prestataire integer,
           target_locataire integer, target_autre integer, complaint_plainte integer,
           complaint_main_courante integer, complaint_aucune integer,
           complaint_inconnu integer, cost_eur numeric)
-- Rows arrive sorted by key (the caller sorts them): writers lock counters in one order.
ON CONFLICT (territory_id, day, category, landlord_id) DO UPDATE SET
    incidents = c.incidents + EXCLUDED.incidents,
    severity_1 = c.severity_1 + EXCLUDED.severity_1,
    severity_2 = c.severity_2 + EXCLUDED.severity_2,
    severity_3 = c.severity_3 + EXCLUDED.severity_3,
    severity_4 = c.severity_4 + EXCLUDED.severity_4,
    target_patrimoine = c.target_patrimoine + EXCLUDED.target_patrimoine,
    target_personnel = c.target_personnel + EXCLUDED.target_personnel,
    target_prestataire = c.target_prestataire + EXCLUDED.target_prestataire,
    target_locataire = c.target_locataire + EXCLUDED.target_locataire,
    target_autre = c.target_autre + EXCLUDED.target_autre,
    complaint_plainte = c.complaint_plainte + EXCLUDED.complaint_plainte,
    complaint_main_courante = c.complaint_main_courante + EXCLUDED.complaint_main_courante,
    complaint_aucune = c.complaint_aucune + EXCLUDED.complaint_aucune,
    complaint_inconnu = c.complaint_inconnu + EXCLUDED.complaint_inconnu,
    cost_eur = c.cost_eur + EXCLUDED.cost_eur
