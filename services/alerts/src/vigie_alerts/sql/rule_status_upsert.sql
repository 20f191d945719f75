INSERT INTO alert_rule_status (rule_id, evaluated_at, evaluated, skipped)
VALUES ($1, $2, $3, $4::text[])
ON CONFLICT (rule_id) DO UPDATE
SET evaluated_at = excluded.evaluated_at, evaluated = excluded.evaluated, skipped = excluded.skipped
