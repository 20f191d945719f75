-- The case's author and state, locked until the end of the transaction that changes it.
SELECT landlord_id, withdrawn_at, hidden_at FROM field_cases WHERE case_id = $1 FOR UPDATE
