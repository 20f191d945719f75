SELECT al.*, r.body ->> 'name' AS rule_name, r.body -> 'selector' AS rule_selector
FROM alerts al LEFT JOIN alert_rules r USING (rule_id)
WHERE al.alert_id = $1
