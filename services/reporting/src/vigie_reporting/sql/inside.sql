-- Which of some territories ($2) lie inside $1 (itself included).
SELECT territory_id FROM territory_ancestors WHERE ancestor_id = $1 AND territory_id = ANY($2)
