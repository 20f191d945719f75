-- What a silence held back, by subscription and channel.
SELECT subscription_id, channel, jsonb_agg(payload ORDER BY id)::text AS payloads
FROM alert_deliveries WHERE silence_id = $1 AND state = 'suppressed'
GROUP BY subscription_id, channel
