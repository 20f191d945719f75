-- One change of an alert: its new state and level, and the change counted in `changes`.
UPDATE alerts
SET state = $2, level = $3, notified_level = $4, value = $5, count = $6, threshold = $7,
    changed_at = $8,
    resolved_at = CASE WHEN $2 = 'resolved' THEN $8 ELSE resolved_at END,
    acknowledged_at = CASE WHEN $2 = 'acknowledged' AND state <> 'acknowledged' THEN $8
                           WHEN $2 = 'open' THEN NULL ELSE acknowledged_at END,
    acknowledged_by = CASE WHEN $2 = 'acknowledged' AND state <> 'acknowledged' THEN $9
                           WHEN $2 = 'open' THEN NULL ELSE acknowledged_by END,
    escalated_at = CASE WHEN $10 THEN $8 ELSE escalated_at END,
    changes = changes + 1
WHERE alert_id = $1
RETURNING *
