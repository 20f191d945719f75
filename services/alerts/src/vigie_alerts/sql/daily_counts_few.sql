-- daily_counts.sql for few territories, through the counters' primary key (as
-- window_counts_few.sql). Parameters and rows as in daily_counts.sql.
SELECT territory_id, array_agg(day - $2::date) AS days, array_agg(count) AS counts
FROM (
    SELECT a.ancestor_id AS territory_id, d.day, sum(d.count)::bigint AS count
    FROM territory_ancestors a
    CROSS JOIN LATERAL (
        SELECT c.day, sum(alerts_measure(c, $6, $7)) AS count
        FROM incident_counters c
        WHERE c.territory_id = a.territory_id
          AND c.day BETWEEN $2::date AND $3::date
          AND ($4::text[] IS NULL OR c.category = ANY($4::text[]))
          AND ($5::text IS NULL OR c.landlord_id = $5::text)
        GROUP BY c.day
    ) AS d
    WHERE a.ancestor_id = ANY($1::text[])
    GROUP BY a.ancestor_id, d.day
) AS daily
GROUP BY territory_id
