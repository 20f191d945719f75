-- The counted incidents per territory: the rebuild's units of work (and its progress).
SELECT territory_id, count(*) AS incidents
FROM incidents
WHERE NOT withdrawn
GROUP BY territory_id
ORDER BY territory_id
