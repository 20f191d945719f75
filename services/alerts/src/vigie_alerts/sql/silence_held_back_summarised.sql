UPDATE alert_deliveries SET state = 'summarised'
WHERE silence_id = $1 AND state = 'suppressed'
