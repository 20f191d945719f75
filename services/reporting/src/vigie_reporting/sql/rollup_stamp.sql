-- A refresh committed. After a full rebuild ($1) the roll-ups count as built again and
-- `rebuilt_at` moves on: that rebuild's transaction marked every day dirty, so from its commit
-- on answers read from the counters every change committed before its snapshot, until the
-- chunks that follow fold the days in. A chunk ($1 false) leaves `full_rebuild` alone: a full
-- rebuild asked before its snapshot is the next round's (asked after it, this update fails to
-- serialize and the round ends).
UPDATE reporting_rollup_state
SET full_rebuild = full_rebuild AND NOT $1::boolean, refreshed_at = now(),
    rebuilt_at = CASE WHEN $1::boolean THEN now() ELSE rebuilt_at END
