-- Ranking of the communes, départements or régions ($7) inside $4, the counters rolled up to
-- them; parameters as in ranking_qpv.sql, every landlord or only $8.
WITH counts AS (
    SELECT a.ancestor_id AS territory_id, sum(k.incidents) AS incidents
    FROM incident_counters k
    JOIN territory_ancestors a ON a.territory_id = k.territory_id
    JOIN territories g ON g.territory_id = a.ancestor_id AND g.kind = $7
    WHERE k.day BETWEEN $1 AND $2
      AND ($3::text[] IS NULL OR k.category = ANY($3::text[]))
      AND ($8::text IS NULL OR k.landlord_id = $8)
    GROUP BY a.ancestor_id
)
SELECT t.territory_id, t.name, t.kind, t.departement_code, t.region_code, t.social_dwellings,
       coalesce(k.incidents, 0)::bigint AS incidents
FROM territories t
JOIN territory_ancestors w ON w.territory_id = t.territory_id AND w.ancestor_id = $4
LEFT JOIN counts k ON k.territory_id = t.territory_id
WHERE t.kind = $7
ORDER BY CASE WHEN $6 = 'count' THEN coalesce(k.incidents, 0) END DESC,
         CASE WHEN $6 <> 'count' THEN coalesce(k.incidents, 0) * 1000.0
                                       / nullif(t.social_dwellings, 0) END DESC NULLS LAST,
         coalesce(k.incidents, 0) DESC, t.territory_id
LIMIT $5
