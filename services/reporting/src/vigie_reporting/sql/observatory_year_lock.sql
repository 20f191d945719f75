-- One builder of year $1 at a time (the others wait, then find it built).
SELECT pg_advisory_xact_lock(7424, $1)
