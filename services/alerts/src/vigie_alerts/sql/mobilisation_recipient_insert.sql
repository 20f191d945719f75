INSERT INTO alert_mobilisation_recipients (mobilisation_id, contact_id, name, organisation,
                                           email, token_sha256)
VALUES ($1, $2, $3, $4, $5, $6)
