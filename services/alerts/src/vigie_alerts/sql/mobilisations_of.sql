-- An alert's signalements, oldest first ($2: only this one; null: all), without the PDF.
SELECT mobilisation_id, alert_id, territory_id, note, created_by, created_at, state,
       octet_length(report_pdf) AS report_bytes
FROM alert_mobilisations
WHERE alert_id = $1 AND ($2::uuid IS NULL OR mobilisation_id = $2)
ORDER BY created_at, mobilisation_id
