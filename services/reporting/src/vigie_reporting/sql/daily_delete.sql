-- Forget reporting_daily's rows of some days ($1) before they are recomputed.
DELETE FROM reporting_daily WHERE day = ANY($1::date[])
