-- Rebuild: writers wait (SHARE blocks the aggregator's updates of incidents, EXCLUSIVE its
-- counter upserts) while readers of the counters keep reading the old rows until commit.
LOCK TABLE incidents IN SHARE MODE;
LOCK TABLE incident_counters IN EXCLUSIVE MODE;
CREATE TEMP TABLE rebuilt_counters (LIKE incident_counters INCLUDING DEFAULTS) ON COMMIT DROP;
