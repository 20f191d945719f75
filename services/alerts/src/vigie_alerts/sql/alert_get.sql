SELECT al.*, r.body ->> 'name' AS rule_name
FROM alerts al LEFT JOIN alert_rules r USING (rule_id)
WHERE al.alert_id = $1
