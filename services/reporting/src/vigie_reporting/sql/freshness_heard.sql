-- The commit time of a change heard on counters.changed.v1 ($1): as_of moves forward only
-- (messages of different partitions arrive in any order); the version moves with every batch
-- heard, older commits included (it tags polled answers: api/polling.py).
UPDATE reporting_freshness SET committed_at = greatest(committed_at, $1), version = version + 1
