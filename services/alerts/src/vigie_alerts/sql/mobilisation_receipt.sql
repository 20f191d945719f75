-- The recipient an acknowledgement link names (by its token's SHA-256), with its signalement
-- and alert.
SELECT r.mobilisation_id, r.contact_id, r.name, r.organisation, r.received_at, m.alert_id,
       m.territory_id, m.state, m.note, m.created_at
FROM alert_mobilisation_recipients AS r
JOIN alert_mobilisations AS m USING (mobilisation_id)
WHERE r.token_sha256 = $1
