-- Notifications reached their recipients: never sent again, and their subscriptions show the
-- success. Only pending rows are marked (a replica that re-sent one after the lease may have
-- marked it first). A signalement's acknowledgement link is dropped from the stored payload
-- once sent: the database keeps only its hash. Rows without a subscription have no status.
-- $1, $2: the deliveries and when each was delivered.
WITH delivered AS (
    UPDATE alert_deliveries AS d
    SET state = 'delivered', delivered_at = r.at, last_error = NULL,
        payload = d.payload - 'receipt_url'
    FROM unnest($1::bigint[], $2::timestamptz[]) AS r (id, at)
    WHERE d.id = r.id AND d.state = 'pending'
    RETURNING d.subscription_id, r.at
)
INSERT INTO alert_subscription_status AS st (subscription_id, last_success_at)
-- In subscription order, so that replicas marking together lock the status rows alike.
SELECT subscription_id, max(at) FROM delivered WHERE subscription_id IS NOT NULL
GROUP BY subscription_id ORDER BY subscription_id
ON CONFLICT (subscription_id) DO UPDATE
SET last_success_at = greatest(st.last_success_at, excluded.last_success_at)
