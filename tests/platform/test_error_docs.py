"""The error answers of §5 in every operation of the OpenAPI document, and text PostgreSQL cannot
store answered 422 (both found by fuzzing the services: tests/reliability/test_fuzz_http.py)."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from vigie.platform.api import CREATED, ApiError, install_error_handlers

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


def app() -> FastAPI:
    """An app with the platform's error handlers and three kinds of route."""
    application = FastAPI()
    install_error_handlers(application)

    @application.get("/things/{thing_id}")
    async def thing(thing_id: int, q: str | None = None) -> dict[str, Any]:
        if q is not None:
            # What asyncpg raises when a NUL reaches a text parameter.
            raise asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence")
        raise ApiError(404, "not_found", f"no thing {thing_id}")

    @application.put("/things/{thing_id}", responses=CREATED)
    async def put_thing(thing_id: int) -> dict[str, Any]:
        return {"id": thing_id}

    @application.get(
        "/page",
        responses={"4XX": {"description": "a page", "content": {"text/html": {"schema": {}}}}},
    )
    async def page() -> str:
        return "ok"

    return application


async def test_every_operation_documents_the_errors_it_answers() -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app()), base_url="http://t"
    ) as client:
        document = (await client.get("/openapi.json")).json()
        again = (await client.get("/openapi.json")).json()
        missing = await client.get("/things/7")
        nul = await client.get("/things/7", params={"q": "a\x00b"})

    assert again == document
    get = document["paths"]["/things/{thing_id}"]["get"]["responses"]
    for status in ("4XX", "422", "503"):
        assert get[status]["content"]["application/json"]["schema"] == ERROR_BODY, status
    assert set(document["components"]["schemas"]["ErrorBody"]["required"]) == {
        "error",
        "detail",
        "errors",
    }
    assert "HTTPValidationError" not in document["components"]["schemas"]
    put = document["paths"]["/things/{thing_id}"]["put"]["responses"]
    assert {"200", "201", "4XX", "503"} <= set(put)
    # A route documenting its own error shape keeps it.
    page = document["paths"]["/page"]["get"]["responses"]
    assert set(page["4XX"]["content"]) == {"text/html"}

    assert missing.status_code == 404
    assert set(missing.json()) == {"error", "detail", "errors"}
    assert nul.status_code == 422
    assert nul.json()["error"] == "invalid"
