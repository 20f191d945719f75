"""The platform's HTTP pieces: typed app resources."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from vigie.platform.api import AppResource, install_error_handlers


class Counter:
    def __init__(self) -> None:
        self.value = 0


COUNTER = AppResource("counter", Counter)


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/count")
    async def count(counter: Annotated[Counter, Depends(COUNTER.get)]) -> dict[str, int]:
        counter.value += 1
        return {"value": counter.value}

    return app


@pytest.fixture
async def client() -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = _app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield app, http


async def test_a_resource_is_read_back_typed_once_set(
    client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, http = client
    before = await http.get("/count")
    assert before.status_code == 503
    assert before.json()["error"] == "unavailable"
    COUNTER.set(app, Counter())
    assert (await http.get("/count")).json() == {"value": 1}
    assert (await http.get("/count")).json() == {"value": 2}
    app.state.counter = "not a counter"
    assert (await http.get("/count")).status_code == 503
