-- How many Open311 requests a purge before $1 (a date) would purge now.
SELECT count(*)
FROM open311_requests
WHERE requested_datetime < ($1::date::timestamp AT TIME ZONE 'Europe/Paris')
  AND (description IS NOT NULL OR lat IS NOT NULL OR long IS NOT NULL)
