"""Keys over their life: expiry, rotation with a grace period, and the append-only audit log of
who created, rotated and revoked them (through the real `vigie keys` command)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from tests.cli.test_commands import vigie
from vigie.platform import audit
from vigie.platform.auth import Authenticator, create_key, rotate_key
from vigie.platform.auth.authenticator import Unauthenticated
from vigie.platform.db import create_pool
from vigie_cli.commands.keys import parse_expiry
from vigie_cli.errors import CliError

pytestmark = pytest.mark.connected


async def authenticated_role(database_url: str, token: str) -> str:
    """The role a fresh authenticator (no cache) gives the token, or the refusal."""
    pool = await create_pool(database_url)
    authenticator = Authenticator(pool, admin_token=None)
    try:
        return (await authenticator.authenticate(f"Bearer {token}")).role
    except Unauthenticated as refusal:
        return f"refused: {refusal}"
    finally:
        await pool.close()


async def test_an_expired_key_is_refused(db: asyncpg.Connection, database_url: str) -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    _, expired = await create_key(db, role="manager", expires_at=past)
    _, valid = await create_key(db, role="manager", expires_at=past + timedelta(days=1))
    assert await authenticated_role(database_url, expired) == "refused: expired token"
    assert await authenticated_role(database_url, valid) == "manager"


async def test_rotation_keeps_the_scope_and_ends_the_old_token_after_the_grace(
    db: asyncpg.Connection, database_url: str
) -> None:
    key_id, old = await create_key(db, role="partner", territory_ids=["QN09302M"], name="CLSPD")
    rotated = await rotate_key(db, key_id, grace=timedelta(hours=1))
    assert rotated is not None
    new_key_id, new = rotated
    row = await db.fetchrow("SELECT * FROM api_keys WHERE key_id = $1", new_key_id)
    assert row is not None
    assert (row["role"], row["territory_ids"], row["name"], row["rotated_from"]) == (
        "partner",
        ["QN09302M"],
        "CLSPD",
        key_id,
    )
    assert await authenticated_role(database_url, old) == "partner"  # within the grace
    assert await authenticated_role(database_url, new) == "partner"
    again = await rotate_key(db, new_key_id, grace=timedelta(0))
    assert again is not None
    assert await authenticated_role(database_url, new) == "refused: expired token"
    assert await rotate_key(db, new_key_id, grace=timedelta(hours=1)) is None


async def test_the_audit_log_refuses_any_change(db: asyncpg.Connection) -> None:
    await audit.record(db, actor="cli:test", action="keys.create", target="k1")
    for statement in (
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await db.execute(statement)
    (entry,) = await audit.entries(db)
    assert (entry["actor"], entry["action"], entry["target"]) == ("cli:test", "keys.create", "k1")


def test_expiry_is_a_duration_or_a_date() -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert parse_expiry("90d", now=now) == now + timedelta(days=90)
    assert parse_expiry("12h", now=now) == now + timedelta(hours=12)
    assert parse_expiry("2027-03-31", now=now) == datetime(2027, 4, 1, tzinfo=UTC)
    for bad in ("0d", "soon", "2026-11-30", "-3d"):
        with pytest.raises(CliError):
            parse_expiry(bad, now=now)


def test_the_command_line_creates_rotates_lists_and_revokes_with_an_audit_trail(
    database_url: str, tmp_path: Path
) -> None:
    created = vigie(
        "keys", "create", "--role", "manager", "--expires", "30d", "--name", "astreinte",
        database_url=database_url, cwd=tmp_path,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    key_id = created.stdout.strip().split("_")[1]
    assert "expires" in created.stderr
    rotated = vigie(
        "keys", "rotate", key_id, "--grace", "1h", database_url=database_url, cwd=tmp_path
    )
    assert rotated.returncode == 0, rotated.stderr
    new_key_id = rotated.stdout.strip().split("_")[1]
    assert f"replaces {key_id}" in rotated.stderr
    revoked = vigie("keys", "revoke", new_key_id, database_url=database_url, cwd=tmp_path)
    assert revoked.returncode == 0, revoked.stderr
    listed = vigie("keys", "list", database_url=database_url, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines() if line.strip()}
    assert "revoked" in lines[new_key_id]
    assert "active" in lines[key_id]
    assert "vig_" not in listed.stdout  # never a token
    bad = vigie("keys", "create", "--role", "manager", "--expires", "soon",
                database_url=database_url, cwd=tmp_path)  # fmt: skip
    assert bad.returncode != 0
    assert "invalid duration 'soon'" in bad.stderr
    assert "Traceback" not in bad.stderr


async def test_command_line_actions_are_in_the_audit_log(database_url: str, tmp_path: Path) -> None:
    created = vigie("keys", "create", "--role", "admin", database_url=database_url, cwd=tmp_path)
    key_id = created.stdout.strip().split("_")[1]
    vigie("keys", "revoke", key_id, database_url=database_url, cwd=tmp_path)
    conn = await asyncpg.connect(database_url)
    try:
        logged = await audit.entries(conn, action="keys")
    finally:
        await conn.close()
    assert [(e["action"], e["target"]) for e in logged] == [
        ("keys.revoke", key_id),
        ("keys.create", key_id),
    ]
    assert all(e["actor"].startswith("cli:") for e in logged)
    assert logged[1]["details"]["role"] == "admin"
