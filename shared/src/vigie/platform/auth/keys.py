"""API keys in the database: create (optionally expiring), rotate, revoke, list, load."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, TypeAlias, get_args

import asyncpg

from vigie.platform.auth.tokens import hash_token, new_token

Role: TypeAlias = Literal["admin", "landlord", "partner", "manager"]
ROLES: tuple[str, ...] = get_args(Role)
ADMIN_KEY_ID = "admin"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key's role and its scope."""

    key_id: str
    role: Role
    landlord_id: str | None = None
    territory_ids: frozenset[str] = field(default_factory=frozenset)
    name: str | None = None

    @property
    def is_admin(self) -> bool:
        """Admins see and do everything."""
        return self.role == "admin"


@dataclass(frozen=True)
class StoredKey:
    """A key row: the principal and the hash to compare with."""

    principal: Principal
    token_sha256: bytes
    revoked: bool
    expires_at: datetime | None = None


class InvalidKeyRequest(ValueError):
    """A key that cannot be created as asked."""


async def create_key(
    conn: asyncpg.Connection,
    *,
    role: str,
    landlord_id: str | None = None,
    territory_ids: list[str] | None = None,
    name: str | None = None,
    expires_at: datetime | None = None,
    rotated_from: str | None = None,
) -> tuple[str, str]:
    """Store a new key (hashed); return (key_id, token). The token is never stored."""
    if role not in ROLES:
        raise InvalidKeyRequest(f"role must be one of {', '.join(ROLES)}")
    if role == "landlord" and not landlord_id:
        raise InvalidKeyRequest("a landlord key needs --landlord")
    if role == "partner" and not territory_ids:
        raise InvalidKeyRequest("a partner key needs at least one --territory")
    territory_ids = territory_ids or []
    if territory_ids:
        known = await conn.fetch(
            "SELECT territory_id FROM territories WHERE territory_id = ANY($1::text[])",
            territory_ids,
        )
        unknown = sorted(set(territory_ids) - {r["territory_id"] for r in known})
        if unknown:
            raise InvalidKeyRequest(f"unknown territory: {', '.join(unknown)}")
    key_id, token = new_token()
    await conn.execute(
        """
        INSERT INTO api_keys (key_id, token_sha256, role, landlord_id, territory_ids, name,
                              expires_at, rotated_from)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        """,
        key_id,
        hash_token(token),
        role,
        landlord_id,
        territory_ids,
        name,
        expires_at,
        rotated_from,
    )
    return key_id, token


async def rotate_key(
    conn: asyncpg.Connection, key_id: str, *, grace: timedelta
) -> tuple[str, str] | None:
    """A new key with the same role and scope; the old one keeps working for `grace` (so the
    client can switch without an outage), then expires. None if there is no such active key."""
    async with conn.transaction():
        old = await conn.fetchrow(
            """
            SELECT role, landlord_id, territory_ids, name, expires_at FROM api_keys
            WHERE key_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
            FOR UPDATE
            """,
            key_id,
        )
        if old is None:
            return None
        new_key = await create_key(
            conn,
            role=old["role"],
            landlord_id=old["landlord_id"],
            territory_ids=list(old["territory_ids"]),
            name=old["name"],
            expires_at=old["expires_at"],
            rotated_from=key_id,
        )
        await conn.execute(
            """
            UPDATE api_keys SET expires_at = LEAST(expires_at, now() + $2::interval)
            WHERE key_id = $1
            """,
            key_id,
            grace,
        )
    return new_key


async def list_keys(conn: asyncpg.Connection) -> list[dict[str, object]]:
    """Every key without its hash: id, role, scope, name, dates, state."""
    rows = await conn.fetch(
        """
        SELECT key_id, role, landlord_id, territory_ids, name, created_at, expires_at,
               revoked_at, rotated_from,
               CASE WHEN revoked_at IS NOT NULL THEN 'revoked'
                    WHEN expires_at <= now() THEN 'expired'
                    ELSE 'active' END AS state
        FROM api_keys ORDER BY created_at, key_id
        """
    )
    return [dict(row) for row in rows]


async def revoke_key(conn: asyncpg.Connection, key_id: str) -> bool:
    """Revoke a key now; False if there is no such active key."""
    status = await conn.execute(
        "UPDATE api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL", key_id
    )
    return bool(status == "UPDATE 1")


async def load_key(conn: asyncpg.Connection | asyncpg.Pool, key_id: str) -> StoredKey | None:
    """The stored key with this id, or None."""
    row = await conn.fetchrow(
        """
        SELECT key_id, token_sha256, role, landlord_id, territory_ids, name, expires_at,
               revoked_at IS NOT NULL AS revoked
        FROM api_keys WHERE key_id = $1
        """,
        key_id,
    )
    if row is None:
        return None
    principal = Principal(
        key_id=row["key_id"],
        role=row["role"],
        landlord_id=row["landlord_id"],
        territory_ids=frozenset(row["territory_ids"]),
        name=row["name"],
    )
    return StoredKey(principal, bytes(row["token_sha256"]), row["revoked"], row["expires_at"])
