-- Forget reporting_daily's rows of some days ($1, NULL: every day) before they are recomputed.
DELETE FROM reporting_daily WHERE $1::date[] IS NULL OR day = ANY($1::date[])
