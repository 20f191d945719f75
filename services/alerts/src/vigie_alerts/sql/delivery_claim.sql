-- Claim due notifications: lock up to $2 pending rows whose time has come, oldest first
-- (SKIP LOCKED lets replicas share the work), and in the same statement lease them (the next
-- attempt moves to $1 + $3 seconds, so a process that dies mid-send leaves the row to be sent
-- again after the lease) and count the attempt. The subscription's address comes along; a row
-- without a subscription (a referent, a signalement) carries its own `recipient`, and its
-- endpoint is 'to:' and the address's MD5 (subscription ids never hold ':'; logs name
-- endpoints, and an address is personal data).
-- At most $4 rows per endpoint (subscription and channel) in flight, counting those the caller
-- already has ($5, $6, $7: endpoint, channel, how many): a dead endpoint, each of whose sends
-- lasts the whole timeout, then holds a few of the caller's slots, never all of them.
-- Endpoints already at $4 are left out of the scan of the due index; the oldest $2 × $4 due rows
-- of the others are ranked per endpoint, so one endpoint's backlog cannot fill the claim either.
-- $1: now; $2: how many; $3: the lease in seconds; $4: the cap per endpoint.
WITH busy AS (
    SELECT subscription_id, channel, n
    FROM unnest($5::text[], $6::text[], $7::integer[]) AS b (subscription_id, channel, n)
),
candidates AS (
    SELECT d.id, coalesce(d.subscription_id, 'to:' || md5(lower(d.recipient))) AS subscription_id,
           d.channel, d.next_attempt_at
    FROM alert_deliveries AS d
    WHERE d.state = 'pending' AND d.next_attempt_at <= $1
      AND NOT EXISTS (
          SELECT 1 FROM busy AS b
          WHERE b.subscription_id = coalesce(d.subscription_id, 'to:' || md5(lower(d.recipient)))
            AND b.channel = d.channel AND b.n >= $4
      )
    ORDER BY d.next_attempt_at
    LIMIT $2::bigint * $4
),
ranked AS (
    SELECT c.id, c.next_attempt_at,
           coalesce(b.n, 0) + row_number() OVER (
               PARTITION BY c.subscription_id, c.channel ORDER BY c.next_attempt_at, c.id
           ) AS place
    FROM candidates AS c
    LEFT JOIN busy AS b USING (subscription_id, channel)
),
due AS (
    SELECT d.id, d.subscription_id
    FROM alert_deliveries AS d
    WHERE d.id IN (SELECT id FROM ranked WHERE place <= $4 ORDER BY next_attempt_at LIMIT $2)
      AND d.state = 'pending' AND d.next_attempt_at <= $1
    FOR UPDATE SKIP LOCKED
)
UPDATE alert_deliveries AS d
SET next_attempt_at = $1 + make_interval(secs => $3), attempts = d.attempts + 1
FROM due LEFT JOIN alert_subscriptions AS s ON s.subscription_id = due.subscription_id
WHERE d.id = due.id
RETURNING d.id, coalesce(d.subscription_id, 'to:' || md5(lower(d.recipient))) AS subscription_id,
          d.channel, d.dedup_key, d.alert_id, d.payload, d.attempts, d.changed_at, s.url,
          s.secret, coalesce(d.recipient, s.email) AS email
