DELETE FROM incident_counters;
INSERT INTO incident_counters SELECT * FROM rebuilt_counters;
