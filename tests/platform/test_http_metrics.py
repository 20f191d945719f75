"""The platform's HTTP request metrics (labelled by route template) and the drain: readiness
false and new API requests refused with 503 + Retry-After, probes and scrapes still answered."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from vigie.platform.drain import drain_of
from vigie.platform.health import health_router
from vigie.platform.http_metrics import instrument


async def ok() -> bool:
    return True


def make_app() -> tuple[FastAPI, CollectorRegistry]:
    registry = CollectorRegistry()
    app = FastAPI()
    instrument(app, registry=registry)
    app.include_router(health_router(checks=lambda: {"ok": ok}, registry=registry))

    @app.get("/v1/items/{item_id}")
    async def item(item_id: str) -> dict[str, str]:
        return {"id": item_id}

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    return app, registry


def client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def count(registry: CollectorRegistry, **labels: str) -> float:
    return registry.get_sample_value("vigie_http_requests_total", labels) or 0.0


async def test_requests_are_counted_by_route_template_and_status() -> None:
    app, registry = make_app()
    async with client(app) as http:
        for item_id in ("a", "b", "c"):
            assert (await http.get(f"/v1/items/{item_id}")).status_code == 200
        assert (await http.get("/nowhere/1")).status_code == 404
        assert (await http.get("/v1/boom")).status_code == 500
    assert count(registry, method="GET", route="/v1/items/{item_id}", status="200") == 3
    assert count(registry, method="GET", route="unmatched", status="404") == 1
    assert count(registry, method="GET", route="/v1/boom", status="500") == 1
    duration = registry.get_sample_value(
        "vigie_http_request_duration_seconds_count",
        {"method": "GET", "route": "/v1/items/{item_id}"},
    )
    assert duration == 3


@pytest.mark.parametrize("path", ["/v1/items/a", "/open311/v2/requests.json"])
async def test_a_draining_process_refuses_api_requests_and_is_not_ready(path: str) -> None:
    app, registry = make_app()
    async with client(app) as http:
        assert (await http.get("/health/ready")).status_code == 200
        drain_of(app).begin()
        refused = await http.get(path)
        ready = await http.get("/health/ready")
        live = await http.get("/health/live")
        scraped = await http.get("/metrics")
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["error"] == "unavailable"
    assert (ready.status_code, ready.json()) == (503, {"status": "draining"})
    assert live.status_code == 200
    assert scraped.status_code == 200
    assert count(registry, method="GET", route="draining", status="503") == 1
