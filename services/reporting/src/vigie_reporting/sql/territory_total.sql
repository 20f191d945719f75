-- Incidents of territory $1 from $2 to $3, every landlord: the counters of its descendants
-- (itself included, each once), for the partition of a shared ranking.
SELECT coalesce(sum(c.incidents), 0)::bigint
FROM territory_ancestors a
JOIN incident_counters c ON c.territory_id = a.territory_id
WHERE a.ancestor_id = $1 AND c.day BETWEEN $2 AND $3
