-- Export: every territory of kind $1, zeros included, so the file joins with the reference.
SELECT territory_id, kind, name, departement_code, region_code, social_dwellings
FROM territories WHERE kind = $1 ORDER BY territory_id
