"""`vigie keys create|rotate|revoke|list`: bearer tokens, stored hashed, printed once. Every
change is written to the audit log in the same transaction."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from rich.table import Table

from vigie.platform import audit
from vigie.platform.auth import InvalidKeyRequest, create_key, list_keys, revoke_key, rotate_key
from vigie_cli.console import console, err_console
from vigie_cli.context import cli_settings, database
from vigie_cli.errors import CliError

_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """`30m`, `12h`, `90d`, `4w`."""
    match = _DURATION.match(text.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise CliError(f"invalid duration {text!r}: expected e.g. 30m, 12h, 90d or 4w")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_expiry(text: str, *, now: datetime) -> datetime:
    """`--expires`: a duration from now (`90d`) or a date (`2027-03-31`, end of that day UTC)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return now + parse_duration(text)
    expires = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    if expires <= now:
        raise CliError(f"--expires {text} is in the past")
    return expires


async def create(
    *,
    role: str,
    landlord_id: str | None,
    territory_ids: list[str],
    name: str | None,
    expires: str | None = None,
) -> str:
    """Create a key and print its token (the only time it is shown)."""
    expires_at = parse_expiry(expires, now=datetime.now(UTC)) if expires else None
    async with database(cli_settings()) as conn, conn.transaction():
        try:
            key_id, token = await create_key(
                conn,
                role=role,
                landlord_id=landlord_id,
                territory_ids=territory_ids,
                name=name,
                expires_at=expires_at,
            )
        except InvalidKeyRequest as exc:
            raise CliError(str(exc)) from None
        await audit.record(
            conn,
            actor=audit.cli_actor(),
            action="keys.create",
            target=key_id,
            details={
                "role": role,
                "landlord_id": landlord_id,
                "territory_ids": territory_ids,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    until = f", expires {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else ""
    err_console.print(f"key {key_id} ({role}{until}) created; the token is shown once:")
    console.print(token)
    return token


async def rotate(key_id: str, *, grace: str) -> str:
    """A new token for the same role and scope; the old one works for `grace` more."""
    period = parse_duration(grace)
    async with database(cli_settings()) as conn, conn.transaction():
        rotated = await rotate_key(conn, key_id, grace=period)
        if rotated is None:
            raise CliError(f"no active key {key_id}")
        new_key_id, token = rotated
        await audit.record(
            conn,
            actor=audit.cli_actor(),
            action="keys.rotate",
            target=key_id,
            details={"new_key_id": new_key_id, "grace_s": period.total_seconds()},
        )
    err_console.print(
        f"key {new_key_id} replaces {key_id}, which stops working in {grace}; "
        "the new token is shown once:"
    )
    console.print(token)
    return token


async def revoke(key_id: str) -> None:
    """Revoke a key; every service refuses it from now on."""
    async with database(cli_settings()) as conn, conn.transaction():
        if not await revoke_key(conn, key_id):
            raise CliError(f"no active key {key_id}")
        await audit.record(conn, actor=audit.cli_actor(), action="keys.revoke", target=key_id)
    console.print(f"key {key_id} revoked")


async def show() -> None:
    """Print every key (never a token or hash)."""
    async with database(cli_settings()) as conn:
        keys = await list_keys(conn)
    table = Table(
        "key", "role", "landlord", "territories", "name", "created", "expires", "state", box=None
    )
    for key in keys:
        expires = key["expires_at"]
        table.add_row(
            str(key["key_id"]),
            str(key["role"]),
            str(key["landlord_id"] or ""),
            " ".join(key["territory_ids"]),  # type: ignore[arg-type]
            str(key["name"] or ""),
            f"{key['created_at']:%Y-%m-%d}",
            f"{expires:%Y-%m-%d %H:%M}" if isinstance(expires, datetime) else "",
            str(key["state"]),
        )
    console.print(table)
