-- Incidents per counters' territory (QPVs mostly) and day, all landlords and categories: what
-- the ranking of QPVs sums, a third the rows of incident_counters and much narrower. Kept by
-- the same refresh as reporting_rollup (vigie_reporting.rollups), from the same dirty days.
CREATE TABLE reporting_daily (
    day          date NOT NULL,
    territory_id text NOT NULL,
    incidents    integer NOT NULL,
    plainte      integer NOT NULL,
    PRIMARY KEY (day, territory_id)
);

-- Whatever the refresh has not folded in yet is rebuilt at its next round.
UPDATE reporting_rollup_state SET full_rebuild = true;
