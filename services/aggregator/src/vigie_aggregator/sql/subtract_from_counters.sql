-- Counter rows that lose incidents exist already: updated, not upserted, because CHECK
-- constraints apply to the row an INSERT proposes before ON CONFLICT is considered. The caller
-- checks that every row was found.
WITH decreased AS (
    UPDATE incident_counters AS c SET
        incidents = c.incidents + d.incidents,
        severity_1 = c.severity_1 + d.severity_1,
        severity_2 = c.severity_2 + d.severity_2,
        severity_3 = c.severity_3 + d.severity_3,
        severity_4 = c.severity_4 + d.severity_4,
        target_patrimoine = c.target_patrimoine + d.target_patrimoine,
        target_personnel = c.target_personnel + d.target_personnel,
        target_prestataire = c.target_prestataire + d.target_prestataire,
        target_locataire = c.target_locataire + d.target_locataire,
        target_autre = c.target_autre + d.target_autre,
        complaint_plainte = c.complaint_plainte + d.complaint_plainte,
        complaint_main_courante = c.complaint_main_courante + d.complaint_main_courante,
        complaint_aucune = c.complaint_aucune + d.complaint_aucune,
        complaint_inconnu = c.complaint_inconnu + d.complaint_inconnu,
        cost_eur = c.cost_eur + d.cost_eur
    FROM json_to_recordset($1::json)
     AS d (territory_id text, day date, category text, landlord_id text, incidents integer,
           severity_1 integer, severity_2 integer, severity_3 integer, severity_4 integer,
           target_patrimoine integer, target_personnel integer, target_prestataire integer,
           target_locataire integer, target_autre integer, complaint_plainte integer,
           complaint_main_courante integer, complaint_aucune integer,
           complaint_inconnu integer, cost_eur numeric)
    WHERE c.territory_id = d.territory_id AND c.day = d.day AND c.category = d.category
      AND c.landlord_id = d.landlord_id
    RETURNING 1
)
SELECT count(*) FROM decreased
