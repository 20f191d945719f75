-- A refresh committed: the roll-ups are built.
UPDATE reporting_rollup_state SET full_rebuild = false, refreshed_at = now()
