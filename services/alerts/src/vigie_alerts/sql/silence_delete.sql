DELETE FROM alert_silences WHERE silence_id = $1 RETURNING silence_id
