-- Create or replace a rule; true when it was created.
INSERT INTO alert_rules (rule_id, body) VALUES ($1, $2::jsonb)
ON CONFLICT (rule_id) DO UPDATE SET body = excluded.body, updated_at = now()
RETURNING (xmax = 0) AS created
