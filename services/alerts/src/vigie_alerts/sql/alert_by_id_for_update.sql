SELECT * FROM alerts WHERE alert_id = $1 FOR UPDATE
