-- What polled answers are computed from (api/polling.py): the version of the counters heard,
-- the last full rebuild (it may bring changes no message announced), and whether territory $1
-- exists (NULL: no territory asked), so that an unknown one gets its 404 rather than a 304.
-- Two one-row tables and a primary-key probe.
SELECT f.version, s.rebuilt_at,
       ($1::text IS NULL OR EXISTS (SELECT 1 FROM territories WHERE territory_id = $1)) AS known
FROM reporting_freshness f, reporting_rollup_state s
