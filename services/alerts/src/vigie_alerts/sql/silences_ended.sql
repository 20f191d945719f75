-- Silences over and not summarised yet, locked so that one replica summarises each.
SELECT * FROM alert_silences WHERE ends_at <= $1 AND summarised_at IS NULL
FOR UPDATE SKIP LOCKED
