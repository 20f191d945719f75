-- Forget published cases.v1 messages.
DELETE FROM field_cases_outbox WHERE id = ANY ($1::bigint[])
