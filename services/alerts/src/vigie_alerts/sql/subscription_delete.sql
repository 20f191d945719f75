DELETE FROM alert_subscriptions WHERE subscription_id = $1 RETURNING subscription_id
