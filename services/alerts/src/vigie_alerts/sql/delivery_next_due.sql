-- When the caller can next claim something: the earliest pending row of an endpoint not at its
-- cap ($1, $2: the endpoints at their cap, subscription and channel); null when none.
SELECT d.next_attempt_at
FROM alert_deliveries AS d
WHERE d.state = 'pending'
  AND NOT EXISTS (
      SELECT 1 FROM unnest($1::text[], $2::text[]) AS f (subscription_id, channel)
      WHERE f.subscription_id = coalesce(d.subscription_id, 'to:' || md5(lower(d.recipient)))
        AND f.channel = d.channel
  )
ORDER BY d.next_attempt_at
LIMIT 1
