-- One trigger for UPDATEs instead of two (one per transition table): the aggregator's batches
-- update counters in every statement, and each trigger run costs it a little.
DROP TRIGGER reporting_dirty_on_update ON incident_counters;
DROP TRIGGER reporting_dirty_on_update_old ON incident_counters;

CREATE FUNCTION reporting_mark_updated_days() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- An UPDATE may move a row to another day: the old day is dirty too.
    INSERT INTO reporting_dirty_days (day)
    SELECT day FROM new_rows UNION SELECT day FROM old_rows;
    RETURN NULL;
END;
$$;

CREATE TRIGGER reporting_dirty_on_update AFTER UPDATE ON incident_counters
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION reporting_mark_updated_days();
