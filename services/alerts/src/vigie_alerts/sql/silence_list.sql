SELECT s.*,
       (SELECT count(*) FROM alert_deliveries d
        WHERE d.silence_id = s.silence_id
          AND d.state IN ('suppressed', 'summarised'))::int AS suppressed
FROM alert_silences s
WHERE $1::text IS NULL OR s.silence_id = $1
ORDER BY s.starts_at DESC, s.silence_id
