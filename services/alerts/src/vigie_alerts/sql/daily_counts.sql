-- The same count as window_counts.sql, per territory and day (the anomaly metric compares a
-- window with the territory's own history day by day): one row per territory with its days
-- (as offsets from $2) and their counts, days with none left out. Few territories:
-- daily_counts_few.sql.
SELECT territory_id, array_agg(day - $2::date) AS days, array_agg(count) AS counts
FROM (
    SELECT a.ancestor_id AS territory_id, c.day, sum(alerts_measure(c, $6, $7))::bigint AS count
    FROM territory_ancestors a
    JOIN incident_counters c ON c.territory_id = a.territory_id
    WHERE a.ancestor_id = ANY($1::text[])
      AND c.day BETWEEN $2::date AND $3::date
      AND ($4::text[] IS NULL OR c.category = ANY($4::text[]))
      AND ($5::text IS NULL OR c.landlord_id = $5::text)
    GROUP BY a.ancestor_id, c.day
) AS daily
GROUP BY territory_id
