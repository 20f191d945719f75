-- A notification reached its recipient: it is never sent again, and its subscription shows
-- the success. Only a pending row is marked (a replica that re-sent it after the lease may
-- have marked it first). $1: the delivery; $2: when.
WITH delivered AS (
    UPDATE alert_deliveries
    SET state = 'delivered', delivered_at = $2, last_error = NULL
    WHERE id = $1 AND state = 'pending'
    RETURNING subscription_id
)
INSERT INTO alert_subscription_status AS st (subscription_id, last_success_at)
SELECT subscription_id, $2 FROM delivered
ON CONFLICT (subscription_id) DO UPDATE
SET last_success_at = greatest(st.last_success_at, excluded.last_success_at)
