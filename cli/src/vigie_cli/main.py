"""The `vigie` command: sub-commands, and the rule that errors are one line, never a traceback."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from vigie_cli.console import err_console
from vigie_cli.errors import CliError

T = TypeVar("T")

# Sub-command modules are imported inside each command: `vigie --help` stays fast.

app = typer.Typer(
    name="vigie",
    help="Vigie: observatoire des faits d'incivilité for social-housing landlords.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
territories_app = typer.Typer(help="The territory reference (QPVs, communes, départements…).")
app.add_typer(territories_app, name="territories")
keys_app = typer.Typer(help="Bearer tokens for landlords, partners, managers and admins.")
app.add_typer(keys_app, name="keys")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coroutine)
    except CliError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        err_console.print(f"[red]error:[/red] invalid setting {first['loc']}: {first['msg']}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@app.command()
def run() -> None:
    """Start everything: broker, database, the four services, the demo feed."""
    from vigie_cli.commands.run import RunSettings, run

    async def start() -> None:
        await run(RunSettings())

    _run(start())


@app.command()
def migrate() -> None:
    """Apply database migrations (safe to run twice)."""
    from vigie_cli.commands.migrate import migrate as apply

    _run(apply())


@territories_app.command("import")
def territories_import(
    file: Annotated[Path, typer.Argument(help="A CSV shaped like the reference qpv_2024.csv")],
) -> None:
    """Load or update territories from a CSV, with a progress bar."""
    from vigie_cli.commands.territories import import_territories

    _run(import_territories(file))


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, landlord, partner or manager")],
    landlord: Annotated[str | None, typer.Option(help="The landlord of a landlord key")] = None,
    territory: Annotated[
        list[str] | None, typer.Option(help="A territory the key covers (repeatable)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Who the key is for")] = None,
    expires: Annotated[
        str | None,
        typer.Option(help="When the key stops working: a duration (90d, 12h) or a date"),
    ] = None,
) -> None:
    """Create a key; prints its token once (only a hash is stored)."""
    from vigie_cli.commands.keys import create

    _run(
        create(
            role=role,
            landlord_id=landlord,
            territory_ids=territory or [],
            name=name,
            expires=expires,
        )
    )


@keys_app.command("rotate")
def keys_rotate(
    key_id: Annotated[str, typer.Argument(help="The key to replace")],
    grace: Annotated[
        str, typer.Option(help="How long the old token keeps working (e.g. 1h, 7d)")
    ] = "24h",
) -> None:
    """A new token with the same role and scope; the old one expires after the grace period."""
    from vigie_cli.commands.keys import rotate

    _run(rotate(key_id, grace=grace))


@keys_app.command("list")
def keys_list() -> None:
    """Every key with its role, scope, dates and state (never a token)."""
    from vigie_cli.commands.keys import show

    _run(show())


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id printed at creation")],
) -> None:
    """Revoke a key: it stops working at once."""
    from vigie_cli.commands.keys import revoke

    _run(revoke(key_id))


topics_app = typer.Typer(help="Kafka topics (production set-up).")
app.add_typer(topics_app, name="topics")


@topics_app.command("create")
def topics_create() -> None:
    """Create the Vigie topics (VIGIE_TOPIC_PARTITIONS, VIGIE_TOPIC_REPLICATION)."""
    from vigie_cli.commands.topics import create_topics

    _run(create_topics())


@app.command()
def rebuild() -> None:
    """Recompute every counter from the stored incident states, in one transaction."""
    from vigie_cli.commands.rebuild import rebuild as recompute

    _run(recompute())


@app.command()
def simulate(
    rate: Annotated[
        float | None,
        typer.Option(
            help="Events per second, all landlords together, in real time "
            "(default: the history's pace, ~67 a day, its last hours replayed at demo speed)"
        ),
    ] = None,
    duration: Annotated[
        float | None, typer.Option(help="Seconds to run (default: until Ctrl-C)")
    ] = None,
) -> None:
    """The demo feed: realistic landlord systems posting through the intake API."""
    from vigie_cli.commands.simulate import simulate as feed

    _run(feed(rate=rate, duration=duration))


retention_app = typer.Typer(help="Retention of incident details (VIGIE_RETENTION_YEARS).")
app.add_typer(retention_app, name="retention")


@retention_app.command("purge")
def retention_purge(
    years: Annotated[
        int,
        typer.Option(
            envvar="VIGIE_RETENTION_YEARS",
            help="Purge the details of incidents more than this many years old",
        ),
    ] = 5,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be purged; purge nothing")
    ] = False,
) -> None:
    """Purge residence and exact time of old incidents now (the aggregator does it daily); the
    counters stay exact."""
    from vigie_cli.commands.retention import purge_details

    _run(purge_details(years=years, dry_run=dry_run))


incidents_app = typer.Typer(help="Incidents in bulk.")
app.add_typer(incidents_app, name="incidents")


@incidents_app.command("import")
def incidents_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="A CSV export (UTF-8 or Windows-1252, ; or ,) with §3 or French column names"
        ),
    ],
    landlord: Annotated[str, typer.Option(help="The landlord the incidents belong to")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every line as intake would; send nothing")
    ] = False,
) -> None:
    """Bulk-load incidents through the API's validation, with a progress bar and an error report."""
    from vigie_cli.commands.incidents import import_incidents

    _run(import_incidents(file, landlord_id=landlord, dry_run=dry_run))


def main() -> None:
    """Entry point of the `vigie` script."""
    try:
        app()
    except CliError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        sys.exit(2)
