-- The QPVs of territory $1 (itself when it is one), by name, for the situation report's map.
SELECT t.territory_id, t.name, t.social_dwellings
FROM territory_ancestors a
JOIN territories t ON t.territory_id = a.territory_id
WHERE a.ancestor_id = $1 AND t.kind = 'qpv'
ORDER BY t.name, t.territory_id
