-- What polled answers on territory $1 are computed from (api/polling.py): its version (0 before
-- any change heard), the last full rebuild (it may bring changes no message announced), and
-- whether the territory exists, so that an unknown one gets its 404 rather than a 304.
-- Primary-key probes and a one-row table.
SELECT coalesce((SELECT version FROM reporting_versions WHERE territory_id = $1), 0) AS version,
       s.rebuilt_at,
       EXISTS (SELECT 1 FROM territories WHERE territory_id = $1) AS known
FROM reporting_rollup_state s
