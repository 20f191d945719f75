-- A cases.v1 message to publish once the transaction commits.
INSERT INTO field_cases_outbox (case_id, payload) VALUES ($1, $2::jsonb)
