"""`vigie simulate` (being written: the demo-feed work owns this module)."""

from vigie_cli.errors import CliError


async def simulate(*, rate: float, duration: float | None) -> None:
    """Post realistic incidents through the intake API."""
    raise CliError("vigie simulate is not available yet")
