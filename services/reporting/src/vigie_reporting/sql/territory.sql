-- A territory, with what the answer needs to read its figures: `as_of` (counters as of: the
-- commit time of the latest change heard on counters.changed.v1, or the start of the last full
-- rebuild of the roll-ups, whichever is later), whether the roll-ups are built, and the days they
-- have not folded in yet.
SELECT territory_id, kind, name, code, departement_code, region_code, population, households,
       social_dwellings,
       (SELECT greatest(f.committed_at, s.rebuilt_at)
        FROM reporting_freshness f, reporting_rollup_state s) AS as_of,
       (SELECT NOT full_rebuild FROM reporting_rollup_state) AS rollup_ready,
       (SELECT coalesce(array_agg(DISTINCT day), '{}') FROM reporting_dirty_days) AS dirty_days
FROM territories WHERE territory_id = $1
