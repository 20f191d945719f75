-- Visible cases, newest first, filtered: $1 categories (any of), $2 domain, $3 action,
-- $4 French full-text query (websearch syntax), $5 limit, $6 offset; $7 true: the hidden ones
-- instead (admins' moderation). Filters left NULL fold away, and so does the $7 branch not
-- taken (the pool plans with the values), leaving the partial indexes' predicate. Always one row at least, carrying the total: a page
-- past the end is one row of NULLs.
WITH hits AS (
    SELECT case_id, landlord_id, place_kind, categories, domains, title, situation, actions,
           cost_eur::float8 AS cost_eur, result, outcome, revision, created_at, updated_at,
           hidden_at, hidden_reason
    FROM field_cases
    WHERE withdrawn_at IS NULL
      AND ((NOT $7::boolean AND hidden_at IS NULL) OR ($7::boolean AND hidden_at IS NOT NULL))
      AND ($1::text[] IS NULL OR categories && $1::text[])
      AND ($2::text IS NULL OR $2::text = ANY (domains))
      AND ($3::text IS NULL OR $3::text = ANY (actions))
      AND ($4::text IS NULL OR search @@ websearch_to_tsquery('french', $4::text))
),
page AS (
    SELECT * FROM hits ORDER BY updated_at DESC, case_id LIMIT $5 OFFSET $6
)
SELECT (SELECT count(*) FROM hits) AS total, page.*
FROM (SELECT 1) AS one
LEFT JOIN page ON true
ORDER BY page.updated_at DESC, page.case_id
