-- One stored service request, with the name of its territory.
SELECT r.service_request_id, r.landlord_id, r.service_code, r.territory_id,
       t.name AS territory_name, r.description, r.lat, r.long, r.requested_datetime,
       r.created_at
FROM open311_requests r LEFT JOIN territories t USING (territory_id)
WHERE r.service_request_id = $1
