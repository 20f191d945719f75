-- New incidents ($1: a JSON array of rows, sorted by key). One that another
-- writer inserted meanwhile is skipped; the caller compares the count with its plan and retries.
WITH inserted AS (
    INSERT INTO incidents (landlord_id, incident_id, revision, event_id, withdrawn, territory_id,
                           residence_id, category, occurred_at, day, severity, target, complaint,
                           cost_eur)
    SELECT *
    FROM json_to_recordset($1::json)
     AS s (landlord_id text, incident_id text, revision integer, event_id uuid,
           withdrawn boolean, territory_id text, residence_id text, category text,
           occurred_at timestamptz, day date, severity smallint, target text, complaint text,
           cost_eur numeric)
    ON CONFLICT (landlord_id, incident_id) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM inserted
