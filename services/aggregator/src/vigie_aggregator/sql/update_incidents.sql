-- Incidents whose new revision wins (rows the transaction has locked). The guard keeps the
-- (revision, event_id) rule even if the caller's plan were stale; the caller checks the count.
WITH updated AS (
    UPDATE incidents AS i
    SET revision = s.revision, event_id = s.event_id, withdrawn = s.withdrawn,
        territory_id = s.territory_id, residence_id = s.residence_id, category = s.category,
        occurred_at = s.occurred_at, day = s.day, severity = s.severity, target = s.target,
        complaint = s.complaint, cost_eur = s.cost_eur, updated_at = now()
    FROM unnest($1::text[], $2::text[], $3::integer[], $4::uuid[], $5::boolean[], $6::text[],
            $7::text[], $8::text[], $9::timestamptz[], $10::date[], $11::smallint[],
            $12::text[], $13::text[], $14::numeric[])
     AS s (landlord_id, incident_id, revision, event_id, withdrawn, territory_id,
           residence_id, category, occurred_at, day, severity, target, complaint, cost_eur)
    WHERE i.landlord_id = s.landlord_id AND i.incident_id = s.incident_id
      AND (i.revision, i.event_id) < (s.revision, s.event_id)
    RETURNING 1
)
SELECT count(*) FROM updated
