-- Whether the roll-ups must be rebuilt from scratch.
SELECT full_rebuild FROM reporting_rollup_state
