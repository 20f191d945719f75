-- The commit time of a change heard on counters.changed.v1 ($1): as_of moves forward only
-- (messages of different partitions arrive in any order).
UPDATE reporting_freshness SET committed_at = greatest(committed_at, $1)
