-- For the alerts gauge: live alerts, and those resolved in the last 24 hours.
SELECT state, level, count(*)::int AS n
FROM alerts
WHERE state <> 'resolved' OR resolved_at > $1::timestamptz - interval '24 hours'
GROUP BY state, level
