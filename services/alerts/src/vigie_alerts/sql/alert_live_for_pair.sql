-- The pair's live alert, locked until the transaction ends: an acknowledgement or a resolution
-- in progress (they lock the row) is waited for, and the decision is made on the alert as they
-- leave it, not on the one before them.
SELECT * FROM alerts WHERE rule_id = $1 AND territory_id = $2 AND state <> 'resolved'
FOR UPDATE
