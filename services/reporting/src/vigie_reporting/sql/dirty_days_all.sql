-- A full rebuild of the roll-ups, asked: every day the counters or the roll-ups hold is marked
-- dirty, so that requests read all of them from the counters at once and the refresh recomputes
-- them in bounded chunks (vigie_reporting.rollups). The days are walked along the day indexes
-- (one index probe per distinct day, not a scan of the tables). reporting_daily stands for both
-- roll-ups: they are recomputed for the same days in the same transaction, and a day with a
-- reporting_rollup row has counter rows, hence a reporting_daily row.
WITH RECURSIVE counted (day) AS (
    SELECT min(day) FROM incident_counters
    UNION ALL
    SELECT (SELECT min(k.day) FROM incident_counters k WHERE k.day > c.day)
    FROM counted c WHERE c.day IS NOT NULL
), rolled (day) AS (
    SELECT min(day) FROM reporting_daily
    UNION ALL
    SELECT (SELECT min(d.day) FROM reporting_daily d WHERE d.day > r.day)
    FROM rolled r WHERE r.day IS NOT NULL
)
INSERT INTO reporting_dirty_days (day)
SELECT day FROM counted WHERE day IS NOT NULL
UNION
SELECT day FROM rolled WHERE day IS NOT NULL
