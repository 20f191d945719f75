-- Erase the description and coordinates of at most $2 Open311 requests made before $1 (a date,
-- Paris midnight); the request itself stays (its id still answers, with its incident's state).
-- Returns one row per request purged.
WITH due AS (
    SELECT service_request_id
    FROM open311_requests
    WHERE requested_datetime < ($1::date::timestamp AT TIME ZONE 'Europe/Paris')
      AND (description IS NOT NULL OR lat IS NOT NULL OR long IS NOT NULL)
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE open311_requests AS r
SET description = NULL, lat = NULL, long = NULL
FROM due
WHERE r.service_request_id = due.service_request_id
RETURNING r.service_request_id
