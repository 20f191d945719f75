-- Retention (VIGIE_RETENTION_YEARS, see vigie_aggregator.retention): an incident older than the
-- retention loses its details (residence, exact time) and is frozen. Its row stays, with what
-- the counters hold anyway (territory, day, category, breakdowns, cost) and what orders its
-- events (revision, event_id): `vigie rebuild` still finds every counted incident, and a late
-- duplicate, correction or withdrawal of a purged incident changes nothing (apply_batch.sql).
ALTER TABLE incidents ADD COLUMN purged_at timestamptz;
