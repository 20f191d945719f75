-- The leading categories of one territory's window, for the facts of a notification.
SELECT c.category, sum(c.incidents)::bigint AS count
FROM territory_ancestors a
JOIN incident_counters c ON c.territory_id = a.territory_id
WHERE a.ancestor_id = $1
  AND c.day BETWEEN $2::date AND $3::date
  AND ($4::text[] IS NULL OR c.category = ANY($4::text[]))
  AND ($5::text IS NULL OR c.landlord_id = $5::text)
GROUP BY c.category
ORDER BY count DESC, c.category
LIMIT 5
