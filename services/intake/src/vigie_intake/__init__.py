"""Vigie intake service."""

from vigie.platform.migrate import MigrationSet

# This service's tables (migrations/), registered with the runner through the
# "vigie.migrations" entry point of its pyproject.toml.
MIGRATIONS = MigrationSet("intake", "vigie_intake", after=("shared",))
