-- Create or replace a referent; true when created.
INSERT INTO alert_referents (referent_id, landlord_id, name, role, email, phone, territory_ids)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (referent_id) DO UPDATE
SET landlord_id = excluded.landlord_id, name = excluded.name, role = excluded.role,
    email = excluded.email, phone = excluded.phone, territory_ids = excluded.territory_ids,
    updated_at = now()
RETURNING (xmax = 0) AS created
