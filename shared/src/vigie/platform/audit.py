"""The audit log: an append-only record of administrative actions (who, when, what), in the
same transaction as the action when the action is in the database. Readable by admins
(reporting's `GET /v1/audit`)."""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy

from vigie.platform.auth import Principal

# Whatever runs a statement: a connection (inside the caller's transaction), a pool.
Executor = asyncpg.Connection | asyncpg.Pool | PoolConnectionProxy


def cli_actor() -> str:
    """The actor of a command-line action: the operating-system user who ran it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a minimal container
        return "cli:unknown"


async def record(
    conn: Executor,
    *,
    actor: Principal | str,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry. `actor` is the caller's key, or a `cli:` actor."""
    key_id, role = (actor.key_id, actor.role) if isinstance(actor, Principal) else (actor, None)
    await conn.execute(
        "INSERT INTO audit_log (actor, actor_role, action, target, details)"
        " VALUES ($1, $2, $3, $4, $5::jsonb)",
        key_id,
        role,
        action,
        target,
        orjson.dumps(details or {}).decode(),
    )


async def entries(
    conn: Executor,
    *,
    since: datetime | None = None,
    action: str | None = None,
    actor: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Entries, newest first, optionally filtered."""
    rows = await conn.fetch(
        """
        SELECT id, at, actor, actor_role, action, target, details
        FROM audit_log
        WHERE ($1::timestamptz IS NULL OR at >= $1)
          AND ($2::text IS NULL OR action = $2 OR action LIKE $2 || '.%')
          AND ($3::text IS NULL OR actor = $3)
        ORDER BY id DESC
        LIMIT $4
        """,
        since,
        action,
        actor,
        limit,
    )
    return [
        {**dict(row), "at": row["at"].isoformat(), "details": orjson.loads(row["details"])}
        for row in rows
    ]
