-- A change that leaves the alert's state and level as they are (a signalement's follow-up):
-- counted in `changes`, its sequence in the history and the dedup key.
UPDATE alerts SET changes = changes + 1 WHERE alert_id = $1 RETURNING *
