-- An attempt failed: retry at $5, or give up ('failed') when $5 is null. Only the attempt that
-- claimed the row may mark it (attempts = $2): a process whose lease ran out while another
-- claimed the row again does not overwrite the newer attempt. The subscription shows the error.
-- $1: the delivery; $2: its attempt number; $3: when; $4: the reason; $5: the next attempt.
WITH failed AS (
    UPDATE alert_deliveries
    SET state = CASE WHEN $5::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
        next_attempt_at = coalesce($5, next_attempt_at),
        last_error = $4,
        -- Given up: the acknowledgement link of a signalement is dropped (see mark_delivered).
        payload = CASE WHEN $5::timestamptz IS NULL THEN payload - 'receipt_url' ELSE payload END
    WHERE id = $1 AND attempts = $2 AND state = 'pending'
    RETURNING subscription_id
)
INSERT INTO alert_subscription_status AS st (subscription_id, last_error_at, last_error)
SELECT subscription_id, $3, $4 FROM failed WHERE subscription_id IS NOT NULL
ON CONFLICT (subscription_id) DO UPDATE
SET last_error_at = excluded.last_error_at, last_error = excluded.last_error
