-- Messages for counters.changed.v1 (see vigie.topics), committed with the counters they
-- describe and deleted once published: the alerts service hears of every change at least once,
-- even when the aggregator dies between its database commit and its publish.
CREATE TABLE counters_changed_outbox (
    id         bigserial PRIMARY KEY,
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
