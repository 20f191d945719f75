"""The intake's SQL (the Open311 service requests, read with the state of their incident from
the aggregator's `incidents`), run on a connection the caller holds (and wraps in a
transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from importlib.resources import files
from typing import TypeAlias
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from vigie_intake.open311_view import RequestState


def sql(name: str) -> str:
    """The text of one of the package's SQL files."""
    return files("vigie_intake").joinpath("sql", name).read_text(encoding="utf-8")


INSERT_OPEN311_REQUEST = sql("insert_open311_request.sql")
OPEN311_REQUESTS_BY_ID = sql("open311_requests_by_id.sql")
OPEN311_REQUESTS = sql("open311_requests.sql")

# A connection of its own or one borrowed from a pool.
Conn: TypeAlias = "asyncpg.Connection | PoolConnectionProxy[asyncpg.Record]"


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


async def open311_requests_by_id(
    conn: Conn, service_request_ids: Sequence[str], *, landlord_id: str | None
) -> list[RequestState]:
    """The stored requests among these ids (of one landlord, unless None), newest first."""
    rows = await conn.fetch(OPEN311_REQUESTS_BY_ID, list(service_request_ids), landlord_id)
    return [RequestState(**dict(row)) for row in rows]


async def open311_requests(
    conn: Conn,
    *,
    landlord_id: str | None,
    start: datetime,
    end: datetime,
    service_codes: Sequence[str] | None,
    withdrawn: bool | None,
    limit: int,
) -> list[RequestState]:
    """Requests of a landlord (any, if None) requested in [start, end), newest first."""
    rows = await conn.fetch(
        OPEN311_REQUESTS,
        landlord_id,
        start,
        end,
        None if service_codes is None else list(service_codes),
        withdrawn,
        limit,
    )
    return [RequestState(**dict(row)) for row in rows]
