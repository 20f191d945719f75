-- One step of a signalement's follow-up, and the signalement's state moved to $6.
WITH moved AS (
    UPDATE alert_mobilisations SET state = $6 WHERE mobilisation_id = $1
)
INSERT INTO alert_mobilisation_events (mobilisation_id, state, at, actor, contact_id, note)
VALUES ($1, $2, $3, $4, $5, $7)
