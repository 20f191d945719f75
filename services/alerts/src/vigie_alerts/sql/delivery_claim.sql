-- Claim due notifications: lock up to $2 pending rows whose time has come, oldest first
-- (SKIP LOCKED lets replicas share the work), and in the same statement lease them (the next
-- attempt moves to $1 + $3 seconds, so a process that dies mid-send leaves the row to be sent
-- again after the lease) and count the attempt. The subscription's address comes along.
-- $1: now; $2: how many; $3: the lease in seconds.
WITH due AS (
    SELECT id
    FROM alert_deliveries
    WHERE state = 'pending' AND next_attempt_at <= $1
    ORDER BY next_attempt_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE alert_deliveries AS d
SET next_attempt_at = $1 + make_interval(secs => $3), attempts = d.attempts + 1
FROM due, alert_subscriptions AS s
WHERE d.id = due.id AND s.subscription_id = d.subscription_id
RETURNING d.id, d.subscription_id, d.channel, d.dedup_key, d.alert_id, d.payload, d.attempts,
          d.changed_at, s.url, s.secret, s.email
