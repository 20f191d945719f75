SELECT seq, at, kind, state, level, previous_level, value, threshold, actor, note
FROM alert_history WHERE alert_id = $1 ORDER BY seq
