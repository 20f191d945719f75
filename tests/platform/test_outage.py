"""A database outage answers 503 with Retry-After and names the database, on every service (the
platform's error handlers); a bug stays a 500. Each outage is the exception asyncpg really raises
(the reliability suite meets them on real servers: tests/reliability)."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from asyncpg import exceptions as pg
from fastapi import FastAPI

from vigie.platform.api import install_error_handlers
from vigie.platform.outage import database_outage

OUTAGES: list[BaseException] = [
    ConnectionRefusedError(111, "Connection refused"),
    pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    pg.CannotConnectNowError("the database system is starting up"),
    pg.AdminShutdownError("terminating connection due to administrator command"),
    pg.ReadOnlySQLTransactionError("cannot execute INSERT in a read-only transaction"),
    pg.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.InterfaceError("pool is closing"),
    TimeoutError(),
]
BUGS: list[BaseException] = [
    pg.UniqueViolationError("duplicate key value"),
    pg.UndefinedColumnError("column does not exist"),
    FileNotFoundError(2, "No such file or directory"),
    ValueError("bug"),
]


def _raising(exc: BaseException) -> httpx.AsyncClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise exc

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.mark.parametrize("exc", OUTAGES, ids=lambda e: type(e).__name__)
async def test_a_database_outage_answers_503_with_retry_after(exc: BaseException) -> None:
    async with _raising(exc) as client:
        response = await client.get("/boom")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    body = response.json()
    assert body["error"] == "database_unavailable"
    assert body["detail"].startswith("the database is ")


@pytest.mark.parametrize("exc", BUGS, ids=lambda e: type(e).__name__)
async def test_a_bug_stays_a_500(exc: BaseException) -> None:
    assert database_outage(exc) is None
    async with _raising(exc) as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json()["error"] == "internal"


def test_read_only_is_told_apart_from_unreachable() -> None:
    assert database_outage(pg.ReadOnlySQLTransactionError()) == "refusing writes (read-only)"
    assert database_outage(ConnectionResetError()) == "unreachable"
