"""`vigie rebuild`: recompute every counter from the stored incident states."""

from __future__ import annotations

import asyncpg

from vigie.platform import audit
from vigie_aggregator.rebuild import RebuildResult, rebuild_counters
from vigie_cli.console import console, progress_bar
from vigie_cli.context import cli_settings, database
from vigie_cli.errors import CliError


async def rebuild() -> None:
    """Recompute every counter in one transaction, with a progress bar; print what changed."""
    async with database(cli_settings()) as conn:
        with progress_bar("incidents") as update:
            try:
                result = await rebuild_counters(conn, on_progress=update)
            except asyncpg.PostgresError as exc:
                raise CliError(f"rebuild failed, counters unchanged: {exc}") from None
        await audit.record(
            conn,
            actor=audit.cli_actor(),
            action="rebuild",
            details={
                "incidents": result.incidents,
                "rows": result.rows,
                "differing": result.differing,
            },
        )
    console.print(_summary(result))


def _summary(result: RebuildResult) -> str:
    exact = (
        "they equal the live counters"
        if result.differing == 0
        else f"{result.differing:,} rows differed from the live counters and were corrected"
    )
    return f"{result.incidents:,} incidents → {result.rows:,} counter rows; {exact}"
