-- The territories of the observatory: the country, the régions and the départements, by code.
SELECT territory_id, kind, name, code, region_code, social_dwellings
FROM territories
WHERE kind IN ('pays', 'region', 'departement')
ORDER BY kind, code
