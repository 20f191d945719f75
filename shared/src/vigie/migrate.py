"""The migration runner: numbered plain-SQL files, each applied in its own transaction and
recorded in `schema_migrations` (the dbmate model). Safe to run twice, and safe to run from
several processes at once (an advisory lock serialises them)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

import asyncpg

_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_ID = 0x5649474945  # "VIGIE"

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    """One SQL file; `version` is `<set>/<file name>` so each service owns its numbering."""

    version: str
    sql: str


@dataclass(frozen=True)
class MigrationSet:
    """The migrations of one package, in `<package>/migrations/NNNN_name.sql`."""

    name: str
    package: str

    def migrations(self) -> list[Migration]:
        """This set's migrations in file-number order."""
        folder: Traversable = files(self.package).joinpath("migrations")
        found = sorted(entry.name for entry in folder.iterdir() if _FILE_NAME.match(entry.name))
        return [
            Migration(f"{self.name}/{name}", folder.joinpath(name).read_text()) for name in found
        ]


# Applied in this order: the shared tables first, then each service's own.
ALL_SETS = (
    MigrationSet("shared", "vigie"),
    MigrationSet("intake", "vigie_intake"),
    MigrationSet("aggregator", "vigie_aggregator"),
    MigrationSet("alerts", "vigie_alerts"),
    MigrationSet("reporting", "vigie_reporting"),
)


def available_sets() -> list[MigrationSet]:
    """The sets whose package is installed and has a migrations folder."""
    result = []
    for migration_set in ALL_SETS:
        try:
            if files(migration_set.package).joinpath("migrations").is_dir():
                result.append(migration_set)
        except ModuleNotFoundError:
            continue
    return result


async def apply_migrations(
    conn: asyncpg.Connection, sets: list[MigrationSet] | None = None
) -> list[str]:
    """Apply every pending migration; return the versions applied now."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_ID)
    try:
        await conn.execute(_CREATE_TABLE)
        done = {row["version"] for row in await conn.fetch("SELECT version FROM schema_migrations")}
        for migration_set in sets if sets is not None else available_sets():
            for migration in migration_set.migrations():
                if migration.version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version) VALUES ($1)", migration.version
                    )
                applied_now.append(migration.version)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_ID)
    return applied_now
