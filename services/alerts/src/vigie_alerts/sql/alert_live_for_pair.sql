SELECT * FROM alerts WHERE rule_id = $1 AND territory_id = $2 AND state <> 'resolved'
