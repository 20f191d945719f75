"""Vigie's shared code: the contract (events, nomenclature, topics) and the plumbing every
process uses (settings, database, migrations, embedded infrastructure, health and metrics)."""
