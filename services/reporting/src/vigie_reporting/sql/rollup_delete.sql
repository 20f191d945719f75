-- Forget reporting_rollup's rows of some days ($1) before they are recomputed.
DELETE FROM reporting_rollup WHERE day = ANY($1::date[])
