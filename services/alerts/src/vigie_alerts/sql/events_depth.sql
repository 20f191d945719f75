SELECT count(*)::int FROM alert_events_outbox
