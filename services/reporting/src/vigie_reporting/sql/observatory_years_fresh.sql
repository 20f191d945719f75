-- Which of the years $1 the observatory's roll-up holds up to date: built from a snapshot taken
-- after the last announced change of any of its days, with the time of that snapshot (what the
-- year's figures stand on: the key of the observatory's rendered PDFs).
SELECT b.year, b.started_at FROM reporting_observatory_built b
WHERE b.year = ANY($1::integer[]) AND NOT EXISTS (
    SELECT 1 FROM reporting_observatory_changed c
    WHERE c.year = b.year AND c.changed_at >= b.started_at
)
