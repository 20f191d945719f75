-- The leading categories of one territory's window, for the facts of a notification. Summed per
-- descendant in a LATERAL aggregate, so that each is read through the counters' primary key:
-- as a plain join, the planner read a landlord-scoped rule's window through the landlord's index
-- (every territory's rows of those days: 3.3 ms per notification in a 1,000-alert burst).
SELECT d.category, sum(d.count)::bigint AS count
FROM territory_ancestors a
CROSS JOIN LATERAL (
    SELECT c.category, sum(c.incidents) AS count
    FROM incident_counters c
    WHERE c.territory_id = a.territory_id
      AND c.day BETWEEN $2::date AND $3::date
      AND ($4::text[] IS NULL OR c.category = ANY($4::text[]))
      AND ($5::text IS NULL OR c.landlord_id = $5::text)
    GROUP BY c.category
) AS d
WHERE a.ancestor_id = $1
GROUP BY d.category
ORDER BY count DESC, d.category
LIMIT 5
