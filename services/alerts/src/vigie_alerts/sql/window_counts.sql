-- What a rule counts per evaluated territory over [$2, $3], from the counters (never from raw
-- incidents): a territory's count is the sum over its descendants (territory_ancestors).
-- For many territories (a sweep): one scan of the window's days, hashed against the
-- descendants; window_counts_few.sql reads few territories through the primary key.
-- $1 territory ids, $4 categories (null: all), $5 landlord (null: all), $6 minimum severity,
-- $7 targets (null: all).
SELECT a.ancestor_id AS territory_id, sum(alerts_measure(c, $6, $7))::bigint AS count
FROM territory_ancestors a
JOIN incident_counters c ON c.territory_id = a.territory_id
WHERE a.ancestor_id = ANY($1::text[])
  AND c.day BETWEEN $2::date AND $3::date
  AND ($4::text[] IS NULL OR c.category = ANY($4::text[]))
  AND ($5::text IS NULL OR c.landlord_id = $5::text)
GROUP BY a.ancestor_id
