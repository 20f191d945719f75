-- Incidents and plaintes of territory $1 per bucket ($4: 'day', 'week' or 'month') from $2 to
-- $3, of some categories ($5, NULL: all), from the counters of its descendants, every landlord
-- or only $6 (timeseries_rollup.sql reads the roll-up instead).
SELECT date_trunc($4, c.day)::date AS bucket,
       sum(c.incidents)::bigint AS incidents,
       sum(c.complaint_plainte)::bigint AS plainte
FROM territory_ancestors a
JOIN incident_counters c ON c.territory_id = a.territory_id
WHERE a.ancestor_id = $1 AND c.day BETWEEN $2 AND $3
  AND ($5::text[] IS NULL OR c.category = ANY($5::text[]))
  AND ($6::text IS NULL OR c.landlord_id = $6)
GROUP BY 1
