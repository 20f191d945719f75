-- The live (open or acknowledged) alerts of every rule, on some territories (null: all): one
-- read for an evaluation of all the rules.
SELECT * FROM alerts
WHERE state <> 'resolved'
  AND ($1::text[] IS NULL OR territory_id = ANY($1::text[]))
