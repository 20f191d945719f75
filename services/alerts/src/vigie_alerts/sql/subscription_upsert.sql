INSERT INTO alert_subscriptions (subscription_id, url, secret, email, min_level, territory_ids,
                                 landlord_id, escalation, owner_key_id)
VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8, $9)
ON CONFLICT (subscription_id) DO UPDATE
SET url = excluded.url, secret = excluded.secret, email = excluded.email,
    min_level = excluded.min_level, territory_ids = excluded.territory_ids,
    landlord_id = excluded.landlord_id, escalation = excluded.escalation,
    owner_key_id = excluded.owner_key_id, updated_at = now()
RETURNING (xmax = 0) AS created
