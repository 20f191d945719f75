-- Referents by id. $1: one id (null: all); $2: of this landlord (null: any); $3: covering one
-- of these territories, i.e. naming it or one of its ancestors (null: any).
SELECT referent_id, landlord_id, name, role, email, phone, territory_ids, created_at, updated_at
FROM alert_referents
WHERE ($1::text IS NULL OR referent_id = $1)
  AND ($2::text IS NULL OR landlord_id = $2)
  AND ($3::text[] IS NULL OR territory_ids && $3::text[])
ORDER BY referent_id
