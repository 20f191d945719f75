-- `as_of` and the roll-ups' state (see territory.sql), for requests that look no territory up.
SELECT (SELECT greatest(f.committed_at, s.rebuilt_at)
        FROM reporting_freshness f, reporting_rollup_state s) AS as_of,
       (SELECT NOT full_rebuild FROM reporting_rollup_state) AS rollup_ready,
       (SELECT coalesce(array_agg(DISTINCT day), '{}') FROM reporting_dirty_days) AS dirty_days
