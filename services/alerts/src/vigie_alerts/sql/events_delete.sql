DELETE FROM alert_events_outbox WHERE id = ANY($1::bigint[])
