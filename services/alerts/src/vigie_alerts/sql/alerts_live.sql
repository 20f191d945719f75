-- The live (open or acknowledged) alerts of a rule, on some territories (null: all).
SELECT * FROM alerts
WHERE rule_id = $1 AND state <> 'resolved'
  AND ($2::text[] IS NULL OR territory_id = ANY($2::text[]))
