"""The referents' directory and the partner contacts: their SQL (sql/referent_*.sql,
sql/partner_contact_*.sql), run on a connection the caller holds."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg

from vigie_alerts.delivery.repository import Conn
from vigie_alerts.repository import sql


def _ids(values: Iterable[str] | None) -> list[str] | None:
    return sorted(values) if values is not None else None


async def upsert_referent(conn: Conn, referent_id: str, **values: Any) -> bool:
    """Create or replace a referent; True when created."""
    created = await conn.fetchval(
        sql("referent_upsert"),
        referent_id,
        values["landlord_id"],
        values["name"],
        values["role"],
        values["email"],
        values["phone"],
        values["territory_ids"],
    )
    return bool(created)


async def referents(
    conn: Conn,
    referent_id: str | None = None,
    *,
    landlord_id: str | None = None,
    naming_any_of: Iterable[str] | None = None,
) -> list[asyncpg.Record]:
    """Referents by id: one when `referent_id` is given; of a landlord; naming one of these
    territories (give a territory with its ancestors: those covering it)."""
    return await conn.fetch(sql("referent_list"), referent_id, landlord_id, _ids(naming_any_of))


async def delete_referent(conn: Conn, referent_id: str) -> bool:
    """Delete a referent; False when there was none."""
    return await conn.fetchval(sql("referent_delete"), referent_id) is not None


async def upsert_partner_contact(conn: Conn, contact_id: str, **values: Any) -> bool:
    """Create or replace a partner contact; True when created."""
    created = await conn.fetchval(
        sql("partner_contact_upsert"),
        contact_id,
        values["name"],
        values["organisation"],
        values["role"],
        values["email"],
        values["territory_ids"],
    )
    return bool(created)


async def partner_contacts(
    conn: Conn, contact_id: str | None = None, *, naming_any_of: Iterable[str] | None = None
) -> list[asyncpg.Record]:
    """Partner contacts by id: one when `contact_id` is given; naming one of these territories."""
    return await conn.fetch(sql("partner_contact_list"), contact_id, _ids(naming_any_of))


async def delete_partner_contact(conn: Conn, contact_id: str) -> bool:
    """Delete a partner contact; False when there was none."""
    return await conn.fetchval(sql("partner_contact_delete"), contact_id) is not None
