-- Silences in force at $1.
SELECT silence_id, territory_id, rule_id, starts_at, ends_at FROM alert_silences
WHERE starts_at <= $1 AND ends_at > $1
