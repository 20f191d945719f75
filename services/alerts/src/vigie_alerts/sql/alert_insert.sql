INSERT INTO alerts (alert_id, rule_id, territory_id, landlord_id, state, level, notified_level,
                    value, count, threshold, window_days, opened_at, changed_at)
VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9, $10, $11, $11)
RETURNING *
