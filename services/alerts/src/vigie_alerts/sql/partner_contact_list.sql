-- Partner contacts by id. $1: one id (null: all); $2: naming one of these territories (null:
-- any).
SELECT contact_id, name, organisation, role, email, territory_ids, created_at, updated_at
FROM alert_partner_contacts
WHERE ($1::text IS NULL OR contact_id = $1)
  AND ($2::text[] IS NULL OR territory_ids && $2::text[])
ORDER BY contact_id
