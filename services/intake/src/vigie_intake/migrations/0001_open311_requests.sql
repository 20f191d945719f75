-- Service requests received through the Open311 GeoReport v2 facade, so that
-- GET /open311/v2/requests/{id}.json can return them. The incident itself travels on
-- incidents.v1 like any other; this row only remembers what the requester sent.
CREATE TABLE open311_requests (
    service_request_id text PRIMARY KEY,
    landlord_id        text NOT NULL,
    event_id           uuid NOT NULL,
    service_code       text NOT NULL,
    territory_id       text NOT NULL,
    description        text,
    lat                double precision,
    long               double precision,
    requested_datetime timestamptz NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX open311_requests_landlord ON open311_requests (landlord_id, created_at);
