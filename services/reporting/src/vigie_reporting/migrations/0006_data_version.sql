-- A version of the counters reporting has heard of, for the entity tags of polled answers
-- (vigie_reporting.api.polling): it moves on with every counters.changed.v1 batch recorded.
-- `as_of` cannot serve: it is the latest commit time heard, and a message of another
-- partition announcing an older commit leaves it where it is while the counts change.
ALTER TABLE reporting_freshness ADD COLUMN version bigint NOT NULL DEFAULT 0;
