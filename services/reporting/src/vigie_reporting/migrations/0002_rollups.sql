-- Roll-ups of the upper levels (the country, régions, départements), so that their summaries,
-- time series and complaint gap read a few hundred rows instead of every QPV's counters.
-- They hold all landlords together (landlord-scoped answers read incident_counters), by day
-- and category, with the same breakdown columns as incident_counters.
--
-- Maintained by reporting alone, without any aggregator change: statement-level triggers on
-- incident_counters append the days each statement touched to reporting_dirty_days (an
-- append-only table with no key, so concurrent writers never wait on each other), and the
-- reporting service folds the dirty days in about every second (vigie_reporting.rollups).
CREATE TABLE reporting_rollup (
    territory_id            text NOT NULL,
    day                     date NOT NULL,
    category                text NOT NULL,
    incidents               integer NOT NULL,
    severity_1              integer NOT NULL,
    severity_2              integer NOT NULL,
    severity_3              integer NOT NULL,
    severity_4              integer NOT NULL,
    target_patrimoine       integer NOT NULL,
    target_personnel        integer NOT NULL,
    target_prestataire      integer NOT NULL,
    target_locataire        integer NOT NULL,
    target_autre            integer NOT NULL,
    complaint_plainte       integer NOT NULL,
    complaint_main_courante integer NOT NULL,
    complaint_aucune        integer NOT NULL,
    complaint_inconnu       integer NOT NULL,
    cost_eur                numeric(16, 2) NOT NULL,
    PRIMARY KEY (territory_id, day, category)
);

CREATE TABLE reporting_dirty_days (day date NOT NULL);

-- One row: whether the roll-up must be rebuilt from scratch (new, or counters truncated), and
-- the snapshot time of its last refresh.
CREATE TABLE reporting_rollup_state (
    singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    full_rebuild boolean NOT NULL DEFAULT true,
    refreshed_at timestamptz
);
INSERT INTO reporting_rollup_state DEFAULT VALUES;

CREATE FUNCTION reporting_mark_new_days() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reporting_dirty_days (day) SELECT DISTINCT day FROM changed_rows;
    RETURN NULL;
END;
$$;

CREATE TRIGGER reporting_dirty_on_insert AFTER INSERT ON incident_counters
REFERENCING NEW TABLE AS changed_rows
FOR EACH STATEMENT EXECUTE FUNCTION reporting_mark_new_days();

CREATE TRIGGER reporting_dirty_on_update AFTER UPDATE ON incident_counters
REFERENCING NEW TABLE AS changed_rows
FOR EACH STATEMENT EXECUTE FUNCTION reporting_mark_new_days();

CREATE TRIGGER reporting_dirty_on_delete AFTER DELETE ON incident_counters
REFERENCING OLD TABLE AS changed_rows
FOR EACH STATEMENT EXECUTE FUNCTION reporting_mark_new_days();

-- An UPDATE may move a row to another day: the old day is dirty too.
CREATE TRIGGER reporting_dirty_on_update_old AFTER UPDATE ON incident_counters
REFERENCING OLD TABLE AS changed_rows
FOR EACH STATEMENT EXECUTE FUNCTION reporting_mark_new_days();

CREATE FUNCTION reporting_rebuild_rollup() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reporting_rollup_state SET full_rebuild = true;
    RETURN NULL;
END;
$$;

CREATE TRIGGER reporting_rebuild_on_truncate AFTER TRUNCATE ON incident_counters
FOR EACH STATEMENT EXECUTE FUNCTION reporting_rebuild_rollup();
