-- A subscription's delivery state: its latest outcomes and its notifications by state. One row,
-- with nulls and zeros for a subscription that never had any. $1: the subscription.
SELECT st.last_success_at, st.last_error_at, st.last_error, c.pending, c.failed, c.delivered
FROM (
    SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
           count(*) FILTER (WHERE state = 'failed') AS failed,
           count(*) FILTER (WHERE state = 'delivered') AS delivered
    FROM alert_deliveries
    WHERE subscription_id = $1
) AS c
LEFT JOIN alert_subscription_status AS st ON st.subscription_id = $1
