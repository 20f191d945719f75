-- The outbox holds the (territory, day) pairs a batch changed; the publisher formats them into
-- counters.changed.v1 messages. Building the JSON in the batch's statement cost PostgreSQL,
-- the busier process, ~10% of its time. Unpublished messages of the old shape are hints for
-- alert re-evaluation only: they are dropped with the column.
ALTER TABLE counters_changed_outbox DROP COLUMN payload;
ALTER TABLE counters_changed_outbox ADD COLUMN territory_ids text[] NOT NULL DEFAULT '{}';
ALTER TABLE counters_changed_outbox ADD COLUMN days date[] NOT NULL DEFAULT '{}';
