"""Field cases' SQL (the `case_*.sql` files), run on a connection the caller holds so that a
change and its cases.v1 message share one transaction. No access decision here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from vigie_reporting.repository import Conn, sql

CASE_GET = sql("case_get.sql")
CASE_LOCK = sql("case_lock.sql")
CASE_UPSERT = sql("case_upsert.sql")
CASE_WITHDRAW = sql("case_withdraw.sql")
CASE_HIDE = sql("case_hide.sql")
CASE_SEARCH = sql("case_search.sql")
OUTBOX_INSERT = sql("case_outbox_insert.sql")
OUTBOX_TAKE = sql("case_outbox_take.sql")
OUTBOX_DELETE = sql("case_outbox_delete.sql")


@dataclass(frozen=True, slots=True)
class Filters:
    """What a search keeps: any of `categories`, a domain, an action, a French text query."""

    categories: list[str] | None = None
    domain: str | None = None
    action: str | None = None
    q: str | None = None
    hidden: bool = False  # the hidden cases instead of the visible ones


async def get_case(conn: Conn, case_id: str) -> dict[str, Any] | None:
    """One case in any state, or None."""
    row = await conn.fetchrow(CASE_GET, case_id)
    return dict(row) if row else None


async def lock_case(conn: Conn, case_id: str) -> asyncpg.Record | None:
    """The case's author and state, row-locked for the transaction; None if there is none."""
    return await conn.fetchrow(CASE_LOCK, case_id)


async def upsert_case(
    conn: Conn, case_id: str, *, landlord_id: str, author_key_id: str, values: dict[str, Any]
) -> bool | None:
    """Create or replace a case's content; True when created, None when a row of another
    landlord's (or withdrawn) took the id meanwhile."""
    created = await conn.fetchval(
        CASE_UPSERT,
        case_id,
        landlord_id,
        author_key_id,
        values["place_kind"],
        values["categories"],
        values["domains"],
        values["title"],
        values["situation"],
        values["actions"],
        values["cost_eur"],
        values["result"],
        values["outcome"],
    )
    return None if created is None else bool(created)


async def withdraw_case(conn: Conn, case_id: str) -> None:
    """Mark a case withdrawn by its author."""
    await conn.execute(CASE_WITHDRAW, case_id)


async def set_hidden(conn: Conn, case_id: str, *, by: str | None, reason: str | None) -> None:
    """Hide a case (`by` an admin) or show it again (`by` None)."""
    await conn.execute(CASE_HIDE, case_id, by, reason)


async def search_cases(
    conn: Conn, filters: Filters, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """Visible (or hidden) cases matching the filters, newest first, and how many match."""
    rows = await conn.fetch(
        CASE_SEARCH,
        filters.categories,
        filters.domain,
        filters.action,
        filters.q,
        limit,
        offset,
        filters.hidden,
    )
    total = int(rows[0]["total"]) if rows else 0
    return [dict(r) for r in rows if r["case_id"] is not None], total


async def add_message(conn: Conn, case_id: str, message: dict[str, Any]) -> None:
    """A cases.v1 message to publish once the transaction commits."""
    await conn.execute(OUTBOX_INSERT, case_id, orjson.dumps(message).decode())


async def take_messages(conn: Conn, limit: int) -> list[asyncpg.Record]:
    """The oldest unpublished messages (id, case_id, payload), locked for this caller."""
    return await conn.fetch(OUTBOX_TAKE, limit)


async def delete_messages(conn: Conn, ids: Sequence[int]) -> None:
    """Forget published messages."""
    await conn.execute(OUTBOX_DELETE, list(ids))
