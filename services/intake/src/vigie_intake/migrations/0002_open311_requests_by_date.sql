-- GET /open311/v2/requests.json lists by requested_datetime (GeoReport's start_date/end_date),
-- for one landlord or, for an admin, all of them.
CREATE INDEX open311_requests_landlord_requested ON open311_requests (landlord_id, requested_datetime);
CREATE INDEX open311_requests_requested ON open311_requests (requested_datetime);
