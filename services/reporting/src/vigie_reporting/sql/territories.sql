-- Reference territories, filtered: $1 kind, $2 text in the name or id prefix, $3 département
-- code, $4 inside this territory; biggest levels first, then by name; at most $5.
SELECT t.territory_id, t.kind, t.name, t.code, t.departement_code, t.region_code, t.population,
       t.households, t.social_dwellings
FROM territories t
WHERE ($1::text IS NULL OR t.kind = $1)
  AND ($2::text IS NULL OR t.name ILIKE '%' || $2 || '%' OR t.territory_id ILIKE $2 || '%')
  AND ($3::text IS NULL OR t.departement_code = $3)
  AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM territory_ancestors a
                                   WHERE a.territory_id = t.territory_id AND a.ancestor_id = $4))
ORDER BY array_position(ARRAY['pays','region','departement','commune','qpv'], t.kind), t.name,
         t.territory_id
LIMIT $5
