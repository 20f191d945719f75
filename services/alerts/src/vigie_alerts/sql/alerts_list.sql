-- Alerts, newest change first. $4: territories the caller may see, with their descendants
-- (null: all); $5: only alerts of rules scoped to this landlord (null: any).
SELECT al.*, r.body ->> 'name' AS rule_name, r.body -> 'selector' AS rule_selector
FROM alerts al
LEFT JOIN alert_rules r USING (rule_id)
WHERE ($1::text IS NULL OR al.state = $1)
  AND ($2::text IS NULL OR al.territory_id IN (
        SELECT territory_id FROM territory_ancestors WHERE ancestor_id = $2))
  AND ($3::text IS NULL OR al.level = $3)
  AND ($4::text[] IS NULL OR al.territory_id IN (
        SELECT territory_id FROM territory_ancestors WHERE ancestor_id = ANY($4::text[])))
  AND ($5::text IS NULL OR al.landlord_id = $5)
ORDER BY al.changed_at DESC
LIMIT $6
