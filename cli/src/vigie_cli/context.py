"""How CLI commands reach the broker and the database: the environment, else a running
`vigie run` (its run.json), else a clear one-line error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from vigie.platform.settings import MissingSettingError, VigieSettings
from vigie_cli.errors import CliError


def cli_settings() -> VigieSettings:
    """The settings of a one-shot CLI command."""
    return VigieSettings().with_running_instance()


@asynccontextmanager
async def database(settings: VigieSettings) -> AsyncIterator[asyncpg.Connection]:
    """One connection to the configured database, closed afterwards."""
    try:
        dsn = settings.dsn
    except MissingSettingError as exc:
        raise CliError(f"{exc}: start `vigie run` or set DATABASE_URL") from None
    try:
        conn = await asyncpg.connect(dsn, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        raise CliError(f"cannot connect to the database: {exc}") from None
    try:
        yield conn
    finally:
        await conn.close()
