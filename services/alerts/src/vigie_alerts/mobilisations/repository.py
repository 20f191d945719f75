"""Signalements' SQL (sql/mobilisation*.sql), run on a connection the caller holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any
from uuid import UUID

import asyncpg

from vigie_alerts.delivery.repository import Conn


@cache
def sql(name: str) -> str:
    """One of the package's SQL files, read once (not vigie_alerts.repository's loader: the
    delivery worker imports this module while that one is still loading)."""
    return files("vigie_alerts").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


async def insert(conn: Conn, mobilisation_id: UUID, **values: Any) -> None:
    """A new signalement, in state sent, with its report."""
    await conn.execute(
        sql("mobilisation_insert"),
        mobilisation_id,
        values["alert_id"],
        values["territory_id"],
        values["note"],
        values["created_by"],
        values["created_at"],
        values["report_pdf"],
    )


async def insert_recipient(
    conn: Conn, mobilisation_id: UUID, contact: asyncpg.Record, *, token_sha256: bytes
) -> None:
    """A contact the signalement goes to, copied, with the hash of its link's token."""
    await conn.execute(
        sql("mobilisation_recipient_insert"),
        mobilisation_id,
        contact["contact_id"],
        contact["name"],
        contact["organisation"],
        contact["email"],
        token_sha256,
    )


async def insert_event(
    conn: Conn,
    mobilisation_id: UUID,
    *,
    state: str,
    new_state: str,
    at: datetime,
    actor: str,
    contact_id: str | None = None,
    note: str | None = None,
) -> None:
    """One step of the follow-up, the signalement moved to `new_state`."""
    await conn.execute(
        sql("mobilisation_event_insert"),
        mobilisation_id,
        state,
        at,
        actor,
        contact_id,
        new_state,
        note,
    )


async def of_alert(
    conn: Conn, alert_id: UUID, mobilisation_id: UUID | None = None
) -> list[asyncpg.Record]:
    """An alert's signalements, oldest first (one when `mobilisation_id` is given)."""
    return await conn.fetch(sql("mobilisations_of"), alert_id, mobilisation_id)


async def for_update(conn: Conn, mobilisation_id: UUID) -> asyncpg.Record | None:
    """A signalement, locked until the transaction ends."""
    return await conn.fetchrow(sql("mobilisation_for_update"), mobilisation_id)


async def recipients(conn: Conn, ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """The recipients of these signalements."""
    return await conn.fetch(sql("mobilisation_recipients_of"), list(ids))


async def events(conn: Conn, ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """The follow-up of these signalements, in order."""
    return await conn.fetch(sql("mobilisation_events_of"), list(ids))


async def by_token(conn: Conn, token_sha256: bytes) -> asyncpg.Record | None:
    """The recipient an acknowledgement link names, with its signalement."""
    return await conn.fetchrow(sql("mobilisation_receipt"), token_sha256)


async def record_receipt(conn: Conn, mobilisation_id: UUID, contact_id: str, at: datetime) -> bool:
    """The contact acknowledged; False when its link was already used."""
    return (
        await conn.fetchval(sql("mobilisation_receipt_record"), mobilisation_id, contact_id, at)
        is not None
    )


async def report(conn: Conn, mobilisation_id: UUID) -> bytes | None:
    """The situation report a signalement sends."""
    pdf: bytes | None = await conn.fetchval(sql("mobilisation_report"), mobilisation_id)
    return pdf


async def bump_alert(conn: Conn, alert_id: UUID) -> asyncpg.Record:
    """Count a follow-up step as a change of the alert (the caller holds its row)."""
    row = await conn.fetchrow(sql("alert_bump"), alert_id)
    assert row is not None  # the caller locked the alert
    return row
