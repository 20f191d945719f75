-- Service requests of a landlord (any when $1 is null) requested in [$2, $3), newest first,
-- filtered by current service (null: any) and status (null: any), at most $6; each with the
-- current state of its incident (the aggregator's `incidents`, read-only, by primary key).
SELECT r.service_request_id, r.landlord_id,
       coalesce(i.category, r.service_code) AS service_code,
       coalesce(i.territory_id, r.territory_id) AS territory_id,
       t.name AS territory_name, r.description, r.lat, r.long, r.requested_datetime,
       r.created_at, i.revision, coalesce(i.withdrawn, false) AS withdrawn,
       i.updated_at AS incident_updated_at, i.severity, i.target, i.complaint
FROM open311_requests r
LEFT JOIN incidents i
       ON i.landlord_id = r.landlord_id AND i.incident_id = 'open311-' || r.service_request_id
LEFT JOIN territories t ON t.territory_id = coalesce(i.territory_id, r.territory_id)
WHERE ($1::text IS NULL OR r.landlord_id = $1)
  AND r.requested_datetime >= $2 AND r.requested_datetime < $3
  AND ($4::text[] IS NULL OR coalesce(i.category, r.service_code) = ANY($4))
  AND ($5::boolean IS NULL OR coalesce(i.withdrawn, false) = $5)
ORDER BY r.requested_datetime DESC, r.service_request_id
LIMIT $6
