-- A contact acknowledged: once only (null when the link was already used).
UPDATE alert_mobilisation_recipients SET received_at = $3
WHERE mobilisation_id = $1 AND contact_id = $2 AND received_at IS NULL
RETURNING received_at
