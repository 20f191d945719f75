SELECT mobilisation_id, alert_id, territory_id, state
FROM alert_mobilisations WHERE mobilisation_id = $1
FOR UPDATE
