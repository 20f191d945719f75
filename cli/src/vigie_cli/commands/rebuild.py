"""`vigie rebuild` (being written: the aggregator work owns this module)."""

from vigie_cli.errors import CliError


async def rebuild() -> None:
    """Recompute every counter from the stored incident states."""
    raise CliError("vigie rebuild is not available yet")
