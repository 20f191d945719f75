DELETE FROM incident_counters;
-- Written back in day order, as live counting roughly writes them: reports read date ranges,
-- and rows of one day stored together make those reads touch few pages.
INSERT INTO incident_counters SELECT * FROM rebuilt_counters ORDER BY day;
