"""`vigie retention purge [--dry-run] [--years N]`: purge the details of incidents older than the
retention (VIGIE_RETENTION_YEARS, default 5) now, as the aggregator does every day; the counters
stay exact (see vigie_aggregator.retention). `--dry-run` counts what would be purged."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from vigie_aggregator.retention import PARIS, cutoff, due, purge
from vigie_cli.console import console, progress_bar
from vigie_cli.context import cli_settings, database
from vigie_cli.errors import CliError


async def purge_details(*, years: int, dry_run: bool) -> int:
    """Purge (or with `dry_run` count) the incidents of days more than `years` years ago, in
    batches with a progress bar; print and return how many."""
    if years < 1:
        raise CliError(f"--years must be at least 1, not {years}")
    before = cutoff(datetime.now(PARIS).date(), years)
    async with database(cli_settings()) as conn:
        try:
            waiting = await due(conn, before)
            if dry_run:
                console.print(
                    f"{waiting:,} incidents of days before {before} would lose their details "
                    "(residence, exact time); dry run: nothing purged"
                )
                return waiting
            with progress_bar("incidents purged") as update:
                update(0, waiting)
                purged = await purge(conn, before, on_progress=lambda n: update(n, waiting))
        except asyncpg.PostgresError as exc:
            raise CliError(f"retention purge failed: {exc}") from None
    console.print(
        f"{purged:,} incidents of days before {before}: details purged, counters unchanged"
    )
    return purged
