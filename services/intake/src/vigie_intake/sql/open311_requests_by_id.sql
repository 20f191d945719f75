-- Service requests by id (any landlord when $2 is null), each with the current state of its
-- incident: `incidents` is the aggregator's table (its current revision of each incident),
-- read here only, through its primary key. The service and territory follow corrections; a
-- withdrawal empties them there, so a withdrawn request shows them as requested.
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
WHERE r.service_request_id = ANY($1::text[])
  AND ($2::text IS NULL OR r.landlord_id = $2)
ORDER BY r.requested_datetime DESC, r.service_request_id
