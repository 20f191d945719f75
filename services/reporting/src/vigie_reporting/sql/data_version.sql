-- What polled answers on territories $1 are computed from (api/polling.py): the sum of their
-- versions (each only grows, so the sum moves whenever one does; 0 before any change heard),
-- the last full rebuild (it may bring changes no message announced), and whether they all
-- exist, so that an unknown one gets its 404 rather than a 304. Primary-key probes and a
-- one-row table.
SELECT coalesce((SELECT sum(version) FROM reporting_versions WHERE territory_id = ANY($1::text[])),
                0)::bigint AS version,
       s.rebuilt_at,
       (SELECT count(*) FROM territories WHERE territory_id = ANY($1::text[]))
           = cardinality($1::text[]) AS known
FROM reporting_rollup_state s
