-- How many incidents a purge before $1 (a date) would purge now.
SELECT count(*)
FROM incidents
WHERE purged_at IS NULL
  AND (day < $1::date OR (day IS NULL AND updated_at < $1::date))
