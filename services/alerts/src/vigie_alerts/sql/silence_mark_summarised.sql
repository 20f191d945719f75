UPDATE alert_silences SET summarised_at = $2 WHERE silence_id = $1
