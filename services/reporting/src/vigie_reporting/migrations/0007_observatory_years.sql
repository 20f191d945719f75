-- The annual observatory's roll-up: a year's counters summed by département (or région, for a
-- fact placed above any département), landlord and category, ~15,000 rows a year instead of
-- ~650,000 counter rows. Built on demand by the first observatory that needs the year
-- (vigie_reporting.observatory_store) and used while no day of the year has changed since.
CREATE TABLE reporting_observatory_years (
    year             integer NOT NULL,
    departement_code text,
    region_code      text,
    landlord_id      text NOT NULL,
    category         text NOT NULL,
    facts            bigint NOT NULL,
    plainte          bigint NOT NULL,
    residents        bigint NOT NULL,
    staff            bigint NOT NULL,
    property         bigint NOT NULL,
    other            bigint NOT NULL,
    cost_eur         numeric(16, 2) NOT NULL
);
CREATE INDEX reporting_observatory_years_year ON reporting_observatory_years (year);

-- The years built, with the time the build's snapshot was taken.
CREATE TABLE reporting_observatory_built (
    year       integer PRIMARY KEY,
    started_at timestamptz NOT NULL
);

-- When a day of each year was last announced changed (counters.changed.v1 puts its days in
-- reporting_dirty_days). A build whose snapshot started before is stale: a day is announced
-- only after its change committed, so a snapshot taken after the announcement holds it.
CREATE TABLE reporting_observatory_changed (
    year       integer PRIMARY KEY,
    changed_at timestamptz NOT NULL
);

CREATE FUNCTION reporting_observatory_days_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reporting_observatory_changed (year, changed_at)
    SELECT y.year, clock_timestamp()
    FROM (SELECT DISTINCT extract(year FROM day)::integer AS year FROM new_days) AS y
    ON CONFLICT (year) DO UPDATE SET changed_at = excluded.changed_at;
    RETURN NULL;
END;
$$;

CREATE TRIGGER reporting_observatory_days_changed AFTER INSERT ON reporting_dirty_days
REFERENCING NEW TABLE AS new_days
FOR EACH STATEMENT EXECUTE FUNCTION reporting_observatory_days_changed();

-- A full rebuild of the roll-ups (changes reporting may have missed) makes every year stale.
CREATE FUNCTION reporting_observatory_all_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.full_rebuild AND NOT OLD.full_rebuild THEN
        DELETE FROM reporting_observatory_built;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER reporting_observatory_all_changed AFTER UPDATE ON reporting_rollup_state
FOR EACH ROW EXECUTE FUNCTION reporting_observatory_all_changed();
