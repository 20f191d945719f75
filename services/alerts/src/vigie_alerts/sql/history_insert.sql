INSERT INTO alert_history (alert_id, seq, at, kind, state, level, previous_level, value,
                           threshold, actor, note)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
