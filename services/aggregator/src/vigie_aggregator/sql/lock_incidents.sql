-- The stored state of a batch's incidents, locked in key order: concurrent writers queue on the
-- same rows in the same order instead of deadlocking, and under READ COMMITTED a row another
-- writer just changed is returned in its latest committed version.
SELECT i.landlord_id, i.incident_id, i.revision, i.event_id, i.withdrawn, i.territory_id,
       i.residence_id, i.category, i.occurred_at, i.day, i.severity, i.target, i.complaint,
       i.cost_eur
FROM incidents AS i
JOIN unnest($1::text[], $2::text[]) AS k (landlord_id, incident_id)
  ON i.landlord_id = k.landlord_id AND i.incident_id = k.incident_id
ORDER BY i.landlord_id, i.incident_id
FOR UPDATE OF i
