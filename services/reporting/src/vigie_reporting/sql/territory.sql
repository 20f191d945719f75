-- A territory, with what the answer needs to read its figures: `as_of` (when the counters last
-- changed), whether the roll-ups are built, and the days they have not folded in yet.
SELECT territory_id, kind, name, code, departement_code, region_code, population, households,
       social_dwellings,
       (SELECT max(changed_at) FROM reporting_counters_changed) AS as_of,
       (SELECT NOT full_rebuild FROM reporting_rollup_state) AS rollup_ready,
       (SELECT coalesce(array_agg(DISTINCT day), '{}') FROM reporting_dirty_days) AS dirty_days
FROM territories WHERE territory_id = $1
