"""`vigie retention purge [--dry-run] [--years N]`: purge now, as the services do every day, the
details older than the retention (VIGIE_RETENTION_YEARS, default 5): the residence and exact time
of incidents (the aggregator's job: the counters stay exact, see vigie_aggregator.retention) and
the description and coordinates of Open311 requests (intake's job, vigie_intake.retention).
`--dry-run` counts what would be purged."""

from __future__ import annotations

import asyncpg

from vigie.platform import audit
from vigie.platform.retention import first_kept_day
from vigie_aggregator import retention as incidents
from vigie_cli.console import console, progress_bar
from vigie_cli.context import cli_settings, database
from vigie_cli.errors import CliError
from vigie_intake import retention as open311


async def purge_details(*, years: int, dry_run: bool) -> int:
    """Purge (or with `dry_run` count) the details of days more than `years` years ago, in
    batches with a progress bar; print and return how many incidents and requests."""
    if years < 1:
        raise CliError(f"--years must be at least 1, not {years}")
    before = first_kept_day(years)
    async with database(cli_settings()) as conn:
        try:
            waiting = await incidents.due(conn, before), await open311.due(conn, before)
            if dry_run:
                console.print(
                    f"{waiting[0]:,} incidents and {waiting[1]:,} Open311 requests of days before"
                    f" {before} would lose their details; dry run: nothing purged"
                )
                return sum(waiting)
            total = sum(waiting)
            with progress_bar("incidents and requests purged") as update:
                update(0, total)
                done = await incidents.purge(conn, before, on_progress=lambda n: update(n, total))
                done_requests = await open311.purge(
                    conn, before, on_progress=lambda n: update(done + n, total)
                )
            await audit.record(
                conn,
                actor=audit.cli_actor(),
                action="retention.purge",
                details={
                    "before": before.isoformat(),
                    "incidents": done,
                    "open311_requests": done_requests,
                },
            )
        except asyncpg.PostgresError as exc:
            raise CliError(f"retention purge failed: {exc}") from None
    console.print(
        f"{done:,} incidents and {done_requests:,} Open311 requests of days before {before}:"
        " details purged, counters unchanged"
    )
    return done + done_requests
