DELETE FROM counters_changed_outbox WHERE id = ANY($1::bigint[])
