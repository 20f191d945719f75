"""The intake's SQL (the Open311 service requests), run on a connection the caller holds (and
wraps in a transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from typing import TypeAlias
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy


def sql(name: str) -> str:
    """The text of one of the package's SQL files."""
    return files("vigie_intake").joinpath("sql", name).read_text(encoding="utf-8")


INSERT_OPEN311_REQUEST = sql("insert_open311_request.sql")
OPEN311_REQUEST = sql("open311_request.sql")

# A connection of its own or one borrowed from a pool.
Conn: TypeAlias = "asyncpg.Connection | PoolConnectionProxy[asyncpg.Record]"


@dataclass(frozen=True, slots=True)
class Open311Request:
    """A stored service request, as GET /open311/v2/requests/{id}.json shows it."""

    service_request_id: str
    landlord_id: str
    service_code: str
    territory_id: str
    territory_name: str | None  # None if the territory is not in the reference
    description: str | None
    lat: float | None
    long: float | None
    requested_datetime: datetime
    created_at: datetime


async def insert_open311_request(
    conn: Conn,
    *,
    service_request_id: str,
    landlord_id: str,
    event_id: UUID | str,
    service_code: str,
    territory_id: str,
    description: str | None,
    lat: float | None,
    long: float | None,
    requested_datetime: datetime,
) -> None:
    """Store a service request."""
    await conn.execute(
        INSERT_OPEN311_REQUEST,
        service_request_id,
        landlord_id,
        event_id,
        service_code,
        territory_id,
        description,
        lat,
        long,
        requested_datetime,
    )


async def open311_request(conn: Conn, service_request_id: str) -> Open311Request | None:
    """A stored service request, or None."""
    row = await conn.fetchrow(OPEN311_REQUEST, service_request_id)
    return None if row is None else Open311Request(**dict(row))
