-- Rows that differ between the live counters and the rebuilt ones (0 when they were exact).
-- Their (territory, day) pairs go to the outbox, committed with the new counters, so that
-- counters.changed.v1 announces what the rebuild corrected like any batch's changes (the
-- leftover publisher sends them): reporting's roll-ups and alerts re-read those days.
-- One entry per day: the publisher merges up to 100 entries and splits by 500 territories, so
-- a rebuild's message holds at most 100 days per territory, well under Kafka's 1 MB.
WITH differing AS (
    (SELECT * FROM incident_counters EXCEPT ALL SELECT * FROM rebuilt_counters)
    UNION ALL
    (SELECT * FROM rebuilt_counters EXCEPT ALL SELECT * FROM incident_counters)
), announced AS (
    INSERT INTO counters_changed_outbox (territory_ids, days)
    SELECT array_agg(territory_id ORDER BY territory_id), array_agg(day ORDER BY territory_id)
    FROM (SELECT DISTINCT territory_id, day FROM differing) AS pairs
    GROUP BY day
)
SELECT count(*) FROM differing
