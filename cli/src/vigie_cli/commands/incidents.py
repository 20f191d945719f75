"""`vigie incidents import` (being written: the demo-feed work owns this module)."""

from pathlib import Path

from vigie_cli.errors import CliError


async def import_incidents(path: Path, *, landlord_id: str) -> None:
    """Bulk-load incidents from a CSV through the intake API's validation."""
    raise CliError("vigie incidents import is not available yet")
