-- Incidents whose new revision wins (rows the transaction has locked). The guard keeps the
-- (revision, event_id) rule even if the caller's plan were stale; the caller checks the count.
WITH updated AS (
    UPDATE incidents AS i
    SET revision = s.revision, event_id = s.event_id, withdrawn = s.withdrawn,
        territory_id = s.territory_id, residence_id = s.residence_id, category = s.category,
        occurred_at = s.occurred_at, day = s.day, severity = s.severity, target = s.target,
        complaint = s.complaint, cost_eur = s.cost_eur, updated_at = now()
    FROM json_to_recordset($1::json)
     AS s (landlord_id text, incident_id text, revision integer, event_id uuid,
           withdrawn boolean, territory_id text, residence_id text, category text,
           occurred_at timestamptz, day date, severity smallint, target text, complaint text,
           cost_eur numeric)
    WHERE i.landlord_id = s.landlord_id AND i.incident_id = s.incident_id
      AND (i.revision, i.event_id) < (s.revision, s.event_id)
    RETURNING 1
)
SELECT count(*) FROM updated
