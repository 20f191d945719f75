-- The oldest unpublished alerts.v1 messages, locked so that replicas publish each once.
SELECT id, territory_id, payload::text AS payload FROM alert_events_outbox
ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
