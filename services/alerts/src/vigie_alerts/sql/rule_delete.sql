DELETE FROM alert_rules WHERE rule_id = $1 RETURNING rule_id
