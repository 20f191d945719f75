-- An admin hides a case ($2: who, $3: why) or shows it again ($2 NULL).
UPDATE field_cases
SET hidden_at = CASE WHEN $2::text IS NULL THEN NULL ELSE now() END,
    hidden_by = $2, hidden_reason = $3, revision = revision + 1, updated_at = now()
WHERE case_id = $1 AND withdrawn_at IS NULL
