-- reporting_daily for some days ($1): incidents and plaintes per counters'
-- territory and day, all landlords and categories.
INSERT INTO reporting_daily (day, territory_id, incidents, plainte)
SELECT c.day, c.territory_id, sum(c.incidents), sum(c.complaint_plainte)
FROM incident_counters c
WHERE c.day = ANY($1::date[])
GROUP BY c.day, c.territory_id
