-- Changes a crashed process committed but did not publish. The age keeps live processes'
-- own messages out; SKIP LOCKED lets replicas share the work.
SELECT id, territory_ids, days
FROM counters_changed_outbox
WHERE created_at < now() - make_interval(secs => $1)
ORDER BY id
LIMIT 100
FOR UPDATE SKIP LOCKED
