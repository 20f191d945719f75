SELECT mobilisation_id, state, at, actor, contact_id, note
FROM alert_mobilisation_events
WHERE mobilisation_id = ANY($1::uuid[])
ORDER BY mobilisation_id, id
