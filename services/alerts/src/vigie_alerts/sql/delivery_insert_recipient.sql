-- A notification to an address without a subscription (a referent, a signalement's contact),
-- due at once; a change reaches an address once.
INSERT INTO alert_deliveries (recipient, channel, dedup_key, alert_id, payload, changed_at,
                              next_attempt_at)
VALUES ($1, 'email', $2, $3, $4::jsonb, $5, $5)
ON CONFLICT (lower(recipient), dedup_key, channel) WHERE subscription_id IS NULL DO NOTHING
