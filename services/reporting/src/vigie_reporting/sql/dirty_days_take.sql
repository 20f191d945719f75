-- The first $1 days changed since the last refresh after day $2 (NULL: from the earliest), taken
-- (within the refresh's transaction); the others stay for the next chunk. Walking forward from
-- the previous chunk's last day, a rebuild moves on even while old days keep changing.
DELETE FROM reporting_dirty_days
WHERE day IN (SELECT DISTINCT day FROM reporting_dirty_days
              WHERE $2::date IS NULL OR day > $2::date
              ORDER BY day LIMIT $1)
RETURNING day
