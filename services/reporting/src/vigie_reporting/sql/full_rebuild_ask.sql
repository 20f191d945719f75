-- Changes reporting may not have heard of (a gap in the topic, a message it cannot read): the
-- next refresh rebuilds the roll-ups from the counters, and requests read the counters until
-- then. A refresh running meanwhile fails to commit its stamp and leaves it to the next round.
UPDATE reporting_rollup_state SET full_rebuild = true
