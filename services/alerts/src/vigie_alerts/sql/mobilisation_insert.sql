INSERT INTO alert_mobilisations (mobilisation_id, alert_id, territory_id, note, created_by,
                                 created_at, report_pdf)
VALUES ($1, $2, $3, $4, $5, $6, $7)
