"""The migration runner: numbered SQL files, one transaction each, recorded, safe to rerun."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from vigie.platform.migrate import MigrationSet, apply_migrations, available_sets

pytestmark = pytest.mark.connected


@pytest.fixture
def scratch_set(tmp_path: Path) -> Iterator[tuple[MigrationSet, Path]]:
    """A throwaway package with a migrations folder, importable for the test."""
    package = tmp_path / "scratch_migrations_pkg"
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    sys.path.insert(0, str(tmp_path))
    yield MigrationSet("scratch", "scratch_migrations_pkg"), package / "migrations"
    sys.path.remove(str(tmp_path))
    sys.modules.pop("scratch_migrations_pkg", None)


async def test_every_set_applies_once_then_nothing(empty_database_url: str) -> None:
    conn = await asyncpg.connect(empty_database_url)
    try:
        first = await apply_migrations(conn)
        second = await apply_migrations(conn)
        recorded = await conn.fetchval("SELECT count(*) FROM schema_migrations")
        tables = {
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
    finally:
        await conn.close()
    assert first[:2] == ["shared/0001_territories.sql", "shared/0002_api_keys.sql"]
    assert second == []
    assert recorded == len(first)
    assert {"territories", "territory_ancestors", "api_keys", "schema_migrations"} <= tables
    assert next(s.name for s in available_sets()) == "shared"


async def test_concurrent_runners_apply_each_file_once(empty_database_url: str) -> None:
    conns = [await asyncpg.connect(empty_database_url) for _ in range(3)]
    try:
        results = await asyncio.gather(*(apply_migrations(c) for c in conns))
    finally:
        for conn in conns:
            await conn.close()
    applied = [version for result in results for version in result]
    assert len(applied) == len(set(applied)) > 0


async def test_a_failing_file_is_rolled_back_whole(
    empty_database_url: str, scratch_set: tuple[MigrationSet, Path]
) -> None:
    migration_set, folder = scratch_set
    (folder / "0001_good.sql").write_text("CREATE TABLE good (id int);")
    (folder / "0002_bad.sql").write_text("CREATE TABLE half (id int); SELECT no_such_function();")
    conn = await asyncpg.connect(empty_database_url)
    try:
        with pytest.raises(asyncpg.UndefinedFunctionError):
            await apply_migrations(conn, [migration_set])
        versions = [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")]
        half = await conn.fetchval("SELECT to_regclass('half')")
        (folder / "0002_bad.sql").write_text("CREATE TABLE half (id int);")
        retried = await apply_migrations(conn, [migration_set])
    finally:
        await conn.close()
    assert versions == ["scratch/0001_good.sql"]
    assert half is None
    assert retried == ["scratch/0002_bad.sql"]
