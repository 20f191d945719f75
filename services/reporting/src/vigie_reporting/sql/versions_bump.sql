-- Move on the versions of the territories $1 named by counters.changed.v1 and of every
-- territory above them; rows locked in one order (several reporting processes may record at
-- once).
INSERT INTO reporting_versions AS v (territory_id, version)
SELECT x.territory_id, 1
FROM (SELECT unnest($1::text[])
      UNION
      SELECT a.ancestor_id FROM territory_ancestors a WHERE a.territory_id = ANY($1::text[])
     ) AS x (territory_id)
ORDER BY x.territory_id
ON CONFLICT (territory_id) DO UPDATE SET version = v.version + 1
