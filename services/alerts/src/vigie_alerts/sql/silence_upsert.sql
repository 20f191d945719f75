INSERT INTO alert_silences (silence_id, territory_id, rule_id, starts_at, ends_at, created_by,
                            reason)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (silence_id) DO UPDATE
SET territory_id = excluded.territory_id, rule_id = excluded.rule_id,
    starts_at = excluded.starts_at, ends_at = excluded.ends_at,
    created_by = excluded.created_by, reason = excluded.reason, summarised_at = NULL
RETURNING (xmax = 0) AS created
