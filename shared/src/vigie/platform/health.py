"""Health and metrics endpoints that every process serves (docs/contract.md §1)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from vigie.platform.drain import drain_of

Check = Callable[[], Awaitable[object]]
CHECK_TIMEOUT_S = 2.0


def health_router(
    *, checks: Callable[[], Mapping[str, Check]], registry: CollectorRegistry
) -> APIRouter:
    """`/health/live`, `/health/ready` (every check must pass within 2 s; 503 "draining" once
    the process drains, vigie.platform.drain) and `/metrics`.

    `checks` is called per request so that it sees the resources the lifespan opened."""
    router = APIRouter(include_in_schema=False)

    @router.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "live"}

    @router.get("/health/ready")
    async def ready(request: Request) -> JSONResponse:
        if drain_of(request.app).active:
            return JSONResponse({"status": "draining"}, status_code=503)
        reasons = await run_checks(checks())
        if reasons:
            return JSONResponse({"status": "unavailable", "reasons": reasons}, status_code=503)
        return JSONResponse({"status": "ready"})

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


async def run_checks(checks: Mapping[str, Check]) -> dict[str, str]:
    """Run the checks concurrently; return {name: reason} for each that failed."""
    if not checks:
        return {"startup": "not started yet"}
    names = list(checks)
    results = await asyncio.gather(
        *(asyncio.wait_for(checks[name](), CHECK_TIMEOUT_S) for name in names),
        return_exceptions=True,
    )
    reasons: dict[str, str] = {}
    for name, result in zip(names, results, strict=True):
        if isinstance(result, BaseException):
            reasons[name] = f"{type(result).__name__}: {result}".rstrip(": ") or "failed"
        elif result is False:
            reasons[name] = "unreachable"
    return reasons
