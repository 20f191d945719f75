-- The oldest unpublished cases.v1 messages, locked so that replicas publish each once.
SELECT id, case_id, payload::text AS payload FROM field_cases_outbox
ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
