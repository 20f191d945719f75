-- Rows that differ between the live counters and the rebuilt ones (0 when they were exact).
SELECT count(*) FROM (
    (SELECT * FROM incident_counters EXCEPT ALL SELECT * FROM rebuilt_counters)
    UNION ALL
    (SELECT * FROM rebuilt_counters EXCEPT ALL SELECT * FROM incident_counters)
) AS differing
