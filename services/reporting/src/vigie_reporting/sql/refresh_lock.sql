-- One reporting process refreshes at a time ("VIGIE" + "R").
SELECT pg_try_advisory_lock(370596595026)
