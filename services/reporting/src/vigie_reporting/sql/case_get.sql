-- One case, whatever its state (callers decide who may see a withdrawn or hidden one).
SELECT case_id, landlord_id, author_key_id, place_kind, categories, domains, title, situation,
       actions, cost_eur::float8 AS cost_eur, result, outcome, revision, created_at, updated_at,
       withdrawn_at, hidden_at, hidden_reason
FROM field_cases
WHERE case_id = $1
