"""`vigie territories import FILE`: load or update the territory reference."""

from __future__ import annotations

from pathlib import Path

from vigie.platform.territories import TerritoryFileError, parse_territories
from vigie.platform.territory_store import ImportResult, store_territories
from vigie_cli.console import console, progress_bar
from vigie_cli.context import cli_settings, database
from vigie_cli.errors import CliError


async def import_territories(path: Path) -> ImportResult:
    """Parse the file, upsert it with a progress bar, print what changed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    try:
        tree = parse_territories(text)
    except TerritoryFileError as exc:
        raise CliError(f"{path}: {exc}") from None
    async with database(cli_settings()) as conn:
        with progress_bar("territories") as update:
            result = await store_territories(conn, tree, on_progress=update)
    console.print(
        f"{result.qpvs:,} QPVs, {result.communes:,} communes, "
        f"{result.departements:,} départements, "
        f"{result.regions:,} régions — {result.inserted:,} new, {result.updated:,} updated"
    )
    return result
