-- How many distinct days wait for the refresh (its progress, in the log).
SELECT count(DISTINCT day) FROM reporting_dirty_days
