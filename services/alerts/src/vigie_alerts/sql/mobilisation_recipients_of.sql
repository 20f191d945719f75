-- The recipients of these signalements, without their tokens' hashes.
SELECT mobilisation_id, contact_id, name, organisation, email, received_at
FROM alert_mobilisation_recipients
WHERE mobilisation_id = ANY($1::uuid[])
ORDER BY mobilisation_id, contact_id
