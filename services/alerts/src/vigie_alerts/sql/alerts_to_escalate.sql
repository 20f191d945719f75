-- Open (unacknowledged) alerts whose rule names escalate_after_minutes, not yet sent to the
-- escalation tier, open for longer than that.
SELECT al.alert_id
FROM alerts al
JOIN alert_rules r USING (rule_id)
WHERE al.state = 'open' AND al.escalated_at IS NULL
  AND r.body ? 'escalate_after_minutes'
  AND jsonb_typeof(r.body -> 'escalate_after_minutes') = 'number'
  AND al.opened_at + make_interval(mins => (r.body ->> 'escalate_after_minutes')::int) <= $1::timestamptz
