-- Days a counters.changed.v1 message named: the next refresh recomputes them, and until then
-- requests read them from the counters. Append-only: adding a day twice is harmless.
INSERT INTO reporting_dirty_days (day) SELECT unnest($1::date[])
