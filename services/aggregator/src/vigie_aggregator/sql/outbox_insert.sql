-- A counters.changed.v1 message, written in the batch's transaction so it outlives a crash.
INSERT INTO counters_changed_outbox (payload) VALUES ($1::jsonb) RETURNING id
