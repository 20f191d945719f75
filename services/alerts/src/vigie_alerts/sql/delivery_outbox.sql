-- The notifications waiting to be sent (claimed ones included) and when the next falls due.
SELECT count(*) AS pending, min(next_attempt_at) AS next_due
FROM alert_deliveries
WHERE state = 'pending'
