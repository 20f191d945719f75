-- Ranking of the QPVs inside $4 ($7 = 'qpv') by count or rate ($6: 'count' or the rate), over
-- $1 to $2, of some categories ($3, NULL: all), at most $5. A QPV has no descendant but itself:
-- its counters' own rows. Rows: $8 the dirty days (all landlords and categories, roll-up
-- built): reporting_daily for the other days and the counters for the dirty ones; $8 NULL: the
-- counters, every landlord or only $9.
WITH counts AS (
    SELECT x.territory_id, sum(x.incidents) AS incidents
    FROM (
        SELECT d.territory_id, d.incidents
        FROM reporting_daily d
        WHERE $8::date[] IS NOT NULL AND d.day BETWEEN $1 AND $2 AND d.day <> ALL($8::date[])
        UNION ALL
        SELECT k.territory_id, k.incidents
        FROM incident_counters k
        WHERE k.day BETWEEN $1 AND $2
          AND ($8::date[] IS NULL OR k.day = ANY($8::date[]))
          AND ($3::text[] IS NULL OR k.category = ANY($3::text[]))
          AND ($9::text IS NULL OR k.landlord_id = $9)
    ) AS x
    GROUP BY x.territory_id
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
