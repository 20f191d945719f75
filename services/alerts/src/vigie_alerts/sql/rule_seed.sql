-- Install a default rule unless a rule with that id exists (an admin's edit is never undone).
INSERT INTO alert_rules (rule_id, body) VALUES ($1, $2::jsonb)
ON CONFLICT (rule_id) DO NOTHING
RETURNING rule_id
