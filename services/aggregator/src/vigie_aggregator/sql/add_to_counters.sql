-- Counter rows that gain incidents (or whose breakdown moves): upserted. Arrays $1..$19, one
-- element per counter row, sorted by key so that writers lock rows in one order.
INSERT INTO incident_counters AS c (
    territory_id, day, category, landlord_id, incidents,
    severity_1, severity_2, severity_3, severity_4,
    target_patrimoine, target_personnel, target_prestataire, target_locataire, target_autre,
    complaint_plainte, complaint_main_courante, complaint_aucune, complaint_inconnu,
    cost_eur)
SELECT *
FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::integer[],
        $6::integer[], $7::integer[], $8::integer[], $9::integer[],
        $10::integer[], $11::integer[], $12::integer[], $13::integer[], $14::integer[],
        $15::integer[], $16::integer[], $17::integer[], $18::integer[],
        $19::numeric[])
 AS d (territory_id, day, category, landlord_id, incidents,
       severity_1, severity_2, severity_3, severity_4,
       target_patrimoine, target_personnel, target_prestataire, target_locataire,
       target_autre, complaint_plainte, complaint_main_courante, complaint_aucune,
       complaint_inconnu, cost_eur)
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
