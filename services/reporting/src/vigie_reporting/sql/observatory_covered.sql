-- The coverage of the observatory: by département, the social dwellings of the QPVs where at
-- least one fact was counted from $1 to $2 (one probe of the counters' key per QPV).
SELECT t.departement_code, sum(t.social_dwellings)::bigint AS covered_dwellings
FROM territories t
WHERE t.kind = 'qpv' AND EXISTS (
    SELECT 1 FROM incident_counters c
    WHERE c.territory_id = t.territory_id AND c.day BETWEEN $1 AND $2
)
GROUP BY t.departement_code
