-- Territories an incident may name (any kind: counters roll up through territory_ancestors).
SELECT territory_id FROM territories
