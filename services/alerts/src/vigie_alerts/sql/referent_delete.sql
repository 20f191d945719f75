DELETE FROM alert_referents WHERE referent_id = $1 RETURNING referent_id
