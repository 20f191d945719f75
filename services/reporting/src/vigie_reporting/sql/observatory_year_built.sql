-- Year $1 built now: from the snapshot of the statement that follows, in the same transaction.
INSERT INTO reporting_observatory_built (year, started_at) VALUES ($1, clock_timestamp())
ON CONFLICT (year) DO UPDATE SET started_at = excluded.started_at
