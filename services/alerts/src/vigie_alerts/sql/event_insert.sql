INSERT INTO alert_events_outbox (territory_id, payload) VALUES ($1, $2::jsonb)
