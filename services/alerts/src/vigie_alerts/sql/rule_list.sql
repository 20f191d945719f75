SELECT r.rule_id, r.body, r.created_at, r.updated_at,
       s.evaluated_at, s.evaluated, s.skipped
FROM alert_rules r
LEFT JOIN alert_rule_status s USING (rule_id)
WHERE $1::text IS NULL OR r.rule_id = $1
ORDER BY r.rule_id
