-- Year $1 (days $2 to $3) of the counters summed by département (or région), landlord and
-- category into the observatory's roll-up.
INSERT INTO reporting_observatory_years
SELECT $1, t.departement_code, t.region_code, c.landlord_id, c.category,
       sum(c.incidents), sum(c.complaint_plainte), sum(c.target_locataire),
       sum(c.target_personnel + c.target_prestataire), sum(c.target_patrimoine),
       sum(c.target_autre), sum(c.cost_eur)
FROM incident_counters c
JOIN territories t ON t.territory_id = c.territory_id
WHERE c.day BETWEEN $2 AND $3
GROUP BY t.departement_code, t.region_code, c.landlord_id, c.category
