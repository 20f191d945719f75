-- Purge the details of at most $2 incidents that occurred before $1 (a date; a withdrawn one
-- with no day: last changed before it), and freeze them. SKIP LOCKED: rows a batch is writing
-- are left for the next round. Returns one row per incident purged.
WITH due AS (
    SELECT landlord_id, incident_id
    FROM incidents
    WHERE purged_at IS NULL
      AND (day < $1::date OR (day IS NULL AND updated_at < $1::date))
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE incidents AS i
SET residence_id = NULL, occurred_at = NULL, purged_at = now()
FROM due
WHERE i.landlord_id = due.landlord_id AND i.incident_id = due.incident_id
RETURNING i.incident_id
