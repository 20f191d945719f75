-- A notification to send (or held back by a silence), due at once: at the change's time, on
-- the service's clock; a change reaches a subscription once.
INSERT INTO alert_deliveries (subscription_id, channel, dedup_key, alert_id, payload, state,
                              silence_id, changed_at, next_attempt_at)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $8)
ON CONFLICT (subscription_id, dedup_key, channel) DO NOTHING
