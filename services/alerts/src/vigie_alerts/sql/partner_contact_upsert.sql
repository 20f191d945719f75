-- Create or replace a partner contact; true when created.
INSERT INTO alert_partner_contacts (contact_id, name, organisation, role, email, territory_ids)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (contact_id) DO UPDATE
SET name = excluded.name, organisation = excluded.organisation, role = excluded.role,
    email = excluded.email, territory_ids = excluded.territory_ids, updated_at = now()
RETURNING (xmax = 0) AS created
