"""Vigie aggregator service."""

from vigie.platform.migrate import MigrationSet

# This service's tables (migrations/), registered with the runner through the
# "vigie.migrations" entry point of its pyproject.toml.
MIGRATIONS = MigrationSet("aggregator", "vigie_aggregator", after=("shared",))
