-- New incidents (arrays $1..$14, one element per incident, sorted by key). One that another
-- writer inserted meanwhile is skipped; the caller compares the count with its plan and retries.
WITH inserted AS (
    INSERT INTO incidents (landlord_id, incident_id, revision, event_id, withdrawn, territory_id,
                           residence_id, category, occurred_at, day, severity, target, complaint,
                           cost_eur)
    SELECT *
    FROM unnest($1::text[], $2::text[], $3::integer[], $4::uuid[], $5::boolean[], $6::text[],
            $7::text[], $8::text[], $9::timestamptz[], $10::date[], $11::smallint[],
            $12::text[], $13::text[], $14::numeric[])
     AS s (landlord_id, incident_id, revision, event_id, withdrawn, territory_id,
           residence_id, category, occurred_at, day, severity, target, complaint, cost_eur)
    ON CONFLICT (landlord_id, incident_id) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM inserted
