-- A refresh committed: the roll-ups are built; `rebuilt_at` moves on after a full rebuild ($1),
-- whose snapshot holds every change committed before its transaction started.
UPDATE reporting_rollup_state
SET full_rebuild = false, refreshed_at = now(),
    rebuilt_at = CASE WHEN $1::boolean THEN now() ELSE rebuilt_at END
