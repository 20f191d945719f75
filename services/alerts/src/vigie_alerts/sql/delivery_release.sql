-- Give back claimed rows that were never sent (the worker is stopping): due again at once, and
-- the attempt that did not happen is not counted. $1, $2: the deliveries and the attempt
-- numbers their claim gave them; $3: now.
UPDATE alert_deliveries AS d
SET next_attempt_at = $3, attempts = greatest(d.attempts - 1, 0)
FROM unnest($1::bigint[], $2::integer[]) AS r (id, attempts)
WHERE d.id = r.id AND d.attempts = r.attempts AND d.state = 'pending'
