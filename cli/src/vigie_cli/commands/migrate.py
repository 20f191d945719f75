"""`vigie migrate`: apply pending database migrations (safe to run twice)."""

from __future__ import annotations

from vigie.platform.migrate import apply_migrations
from vigie_cli.console import console
from vigie_cli.context import cli_settings, database


async def migrate() -> None:
    """Apply every pending migration and say which."""
    async with database(cli_settings()) as conn:
        applied = await apply_migrations(conn)
    if applied:
        for version in applied:
            console.print(f"applied {version}")
    else:
        console.print("database schema is up to date")
