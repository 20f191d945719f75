-- `as_of` and the roll-ups' state (see territory.sql), for requests that look no territory up.
SELECT (SELECT max(changed_at) FROM reporting_counters_changed) AS as_of,
       (SELECT NOT full_rebuild FROM reporting_rollup_state) AS rollup_ready,
       (SELECT coalesce(array_agg(DISTINCT day), '{}') FROM reporting_dirty_days) AS dirty_days
