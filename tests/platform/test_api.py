"""The platform's HTTP pieces: typed app resources and the raw route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request, Response

from vigie.platform.api import AppResource, RawRoute, install_error_handlers


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

    async def raw(request: Request) -> Response:
        return Response(await request.body(), 202, media_type="text/plain")

    router = APIRouter()
    router.add_api_route(
        "/raw",
        raw,
        methods=["POST"],
        route_class_override=RawRoute,
        openapi_extra={"requestBody": {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    app.include_router(router)
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


async def test_a_raw_route_is_served_and_documented(
    client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, http = client
    response = await http.post("/raw?ignored=1", content=b"as sent")
    assert (response.status_code, response.content) == (202, b"as sent")
    operation = (await http.get("/openapi.json")).json()["paths"]["/raw"]["post"]
    assert "text/plain" in operation["requestBody"]["content"]
    assert "parameters" not in operation


def test_a_raw_route_refuses_parameters_and_dependencies() -> None:
    async def with_query(request: Request, q: str) -> Response:
        return Response()

    async def with_dependency(
        request: Request, counter: Annotated[Counter, Depends(COUNTER.get)]
    ) -> Response:
        return Response()

    async def without_request() -> Response:
        return Response()

    for endpoint in (with_query, with_dependency, without_request):
        with pytest.raises(TypeError, match="takes the Request and nothing else"):
            RawRoute("/x", endpoint, methods=["POST"])
