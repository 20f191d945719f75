DELETE FROM alert_partner_contacts WHERE contact_id = $1 RETURNING contact_id
