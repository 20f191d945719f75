-- The author withdraws a case: it leaves every search for good.
UPDATE field_cases
SET withdrawn_at = now(), revision = revision + 1, updated_at = now()
WHERE case_id = $1 AND withdrawn_at IS NULL
