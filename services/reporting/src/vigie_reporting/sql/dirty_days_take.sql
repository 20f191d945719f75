-- The days changed since the last refresh, taken (within the refresh's transaction).
DELETE FROM reporting_dirty_days RETURNING day
