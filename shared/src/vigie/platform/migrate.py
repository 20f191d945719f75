"""The migration runner: numbered plain-SQL files, each applied in its own transaction and
recorded in `schema_migrations` (the dbmate model). Safe to run twice, and safe to run from
several processes at once (an advisory lock serialises them)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.metadata import entry_points
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
    """The migrations of one package, in `<package>/migrations/NNNN_name.sql`, applied after
    the sets named in `after` (e.g. a service's tables after the shared ones)."""

    name: str
    package: str
    after: tuple[str, ...] = ()

    def migrations(self) -> list[Migration]:
        """This set's migrations in file-number order."""
        folder: Traversable = files(self.package).joinpath("migrations")
        found = sorted(entry.name for entry in folder.iterdir() if _FILE_NAME.match(entry.name))
        return [
            Migration(f"{self.name}/{name}", folder.joinpath(name).read_text()) for name in found
        ]


# The platform's own tables (territories, keys). Its set keeps the name "shared", the prefix
# of the versions already recorded in existing databases.
PLATFORM = MigrationSet("shared", "vigie.platform")

# Each service registers its set under this entry-point group in its pyproject.toml
# (`[project.entry-points."vigie.migrations"]`), so that this runner knows no service by name.
ENTRY_POINT_GROUP = "vigie.migrations"


def available_sets() -> list[MigrationSet]:
    """The platform's set, then every installed service's, each after the sets it names."""
    found = {PLATFORM.name: PLATFORM}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        migration_set = entry.load()
        if not isinstance(migration_set, MigrationSet):
            raise TypeError(f"entry point {entry.name} is not a MigrationSet")
        found[migration_set.name] = migration_set
    return _in_dependency_order(found)


def _in_dependency_order(sets: dict[str, MigrationSet]) -> list[MigrationSet]:
    ordered: list[MigrationSet] = []
    placed: set[str] = set()

    def place(name: str, chain: tuple[str, ...]) -> None:
        if name in placed:
            return
        if name in chain:
            raise ValueError(f"migration sets depend on each other: {' -> '.join(chain)}")
        migration_set = sets[name]
        for before in migration_set.after:
            if before in sets:
                place(before, (*chain, name))
        placed.add(name)
        ordered.append(migration_set)

    for name in sorted(sets):
        place(name, ())
    return ordered


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
