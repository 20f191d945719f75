-- A service request received through the Open311 facade, stored in the transaction that
-- publishes its event (a refused or unpublished event leaves no row behind).
INSERT INTO open311_requests (service_request_id, landlord_id, event_id, service_code,
                              territory_id, description, lat, long, requested_datetime)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
