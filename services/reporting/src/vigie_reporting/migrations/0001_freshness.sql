-- Freshness of the counters for reporting's `as_of`, maintained without any aggregator change:
-- a statement-level trigger on incident_counters stamps the time of the last change.
-- The stamp is spread over 64 slots keyed by the writing backend so that concurrent aggregator
-- replicas never queue on one hot row; as_of is the latest stamp over the slots.
CREATE TABLE reporting_counters_changed (
    slot       smallint PRIMARY KEY CHECK (slot BETWEEN 0 AND 63),
    changed_at timestamptz NOT NULL
);

CREATE FUNCTION reporting_stamp_counters() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reporting_counters_changed (slot, changed_at)
    VALUES (pg_backend_pid() % 64, clock_timestamp())
    ON CONFLICT (slot) DO UPDATE SET changed_at = excluded.changed_at;
    RETURN NULL;
END;
$$;

CREATE TRIGGER reporting_stamp_counters
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON incident_counters
FOR EACH STATEMENT EXECUTE FUNCTION reporting_stamp_counters();
