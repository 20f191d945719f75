-- Reporting's tables have one owner: reporting. Its roll-ups now follow counters.changed.v1, the
-- aggregator's announcement after each committed batch (vigie_reporting.changes), instead of
-- triggers on the aggregator's incident_counters that ran reporting's plpgsql inside every
-- aggregator batch. The days a message names go to reporting_dirty_days as the triggers put
-- them; `as_of` comes from the messages' committed_at (reporting_freshness) or from the start of
-- the last full rebuild of the roll-ups (reporting_rollup_state.rebuilt_at).
DROP TRIGGER reporting_stamp_counters ON incident_counters;
DROP TRIGGER reporting_dirty_on_insert ON incident_counters;
DROP TRIGGER reporting_dirty_on_update ON incident_counters;
DROP TRIGGER reporting_dirty_on_delete ON incident_counters;
DROP TRIGGER reporting_rebuild_on_truncate ON incident_counters;
DROP FUNCTION reporting_stamp_counters();
DROP FUNCTION reporting_mark_new_days();
DROP FUNCTION reporting_mark_updated_days();
DROP FUNCTION reporting_rebuild_rollup();

-- One row, written by the message handler only (a refresh never waits on it, nor it on one).
CREATE TABLE reporting_freshness (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    committed_at timestamptz
);
-- The triggers' last stamp stands until the first message is heard.
INSERT INTO reporting_freshness (committed_at)
SELECT max(changed_at) FROM reporting_counters_changed;
DROP TABLE reporting_counters_changed;

ALTER TABLE reporting_rollup_state ADD COLUMN rebuilt_at timestamptz;
