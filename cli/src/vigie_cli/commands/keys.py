"""`vigie keys create|revoke`: bearer tokens, stored hashed, printed once."""

from __future__ import annotations

from vigie.platform.auth import InvalidKeyRequest, create_key, revoke_key
from vigie_cli.console import console, err_console
from vigie_cli.context import cli_settings, database
from vigie_cli.errors import CliError


async def create(
    *, role: str, landlord_id: str | None, territory_ids: list[str], name: str | None
) -> str:
    """Create a key and print its token (the only time it is shown)."""
    async with database(cli_settings()) as conn:
        try:
            key_id, token = await create_key(
                conn, role=role, landlord_id=landlord_id, territory_ids=territory_ids, name=name
            )
        except InvalidKeyRequest as exc:
            raise CliError(str(exc)) from None
    err_console.print(f"key {key_id} ({role}) created; the token is shown once:")
    console.print(token)
    return token


async def revoke(key_id: str) -> None:
    """Revoke a key; every service refuses it from now on."""
    async with database(cli_settings()) as conn:
        if not await revoke_key(conn, key_id):
            raise CliError(f"no active key {key_id}")
    console.print(f"key {key_id} revoked")
