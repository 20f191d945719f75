-- Create a case or replace its content (revision + 1); `created` tells which. The caller has
-- checked authorship and that it is not withdrawn, under the row lock of case_lock.sql; a row
-- that appeared meanwhile (two first PUTs of one id at once) is replaced only if it is the same
-- landlord's and not withdrawn, otherwise no row comes back.
INSERT INTO field_cases AS c (
    case_id, landlord_id, author_key_id, place_kind, categories, domains, title, situation,
    actions, cost_eur, result, outcome
)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (case_id) DO UPDATE SET
    author_key_id = EXCLUDED.author_key_id,
    place_kind = EXCLUDED.place_kind,
    categories = EXCLUDED.categories,
    domains = EXCLUDED.domains,
    title = EXCLUDED.title,
    situation = EXCLUDED.situation,
    actions = EXCLUDED.actions,
    cost_eur = EXCLUDED.cost_eur,
    result = EXCLUDED.result,
    outcome = EXCLUDED.outcome,
    revision = c.revision + 1,
    updated_at = now()
WHERE c.landlord_id = EXCLUDED.landlord_id AND c.withdrawn_at IS NULL
RETURNING (xmax = 0) AS created
