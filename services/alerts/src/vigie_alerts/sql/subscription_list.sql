SELECT subscription_id, url, secret, email, min_level, territory_ids, landlord_id, escalation,
       owner_key_id, created_at, updated_at
FROM alert_subscriptions
WHERE $1::text IS NULL OR subscription_id = $1
ORDER BY subscription_id
