"""The platform's security headers: on every HTTP answer (JSON, errors, streams), the policy only
where asked, and a header the app set itself kept as it is."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, StreamingResponse

from vigie.platform.api import ApiError, install_error_handlers
from vigie.platform.security_headers import DASHBOARD_CSP, SecurityHeaders, add_security_headers


def make_app(csp: str | None) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    add_security_headers(app, csp=csp)

    @app.get("/json")
    async def json_route() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/refused")
    async def refused() -> None:
        raise ApiError(403, "forbidden", "no")

    @app.get("/own")
    async def own() -> PlainTextResponse:
        return PlainTextResponse("x", headers={"X-Frame-Options": "SAMEORIGIN"})

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> object:
            yield b"data: 1\n\n"

        return StreamingResponse(chunks(), media_type="text/event-stream")  # type: ignore[arg-type]

    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_every_answer_carries_the_headers_without_a_policy_by_default() -> None:
    async with client(make_app(None)) as http:
        for path, status in (
            ("/json", 200),
            ("/refused", 403),
            ("/nowhere", 404),
            ("/stream", 200),
        ):
            response = await http.get(path)
            assert response.status_code == status
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert "content-security-policy" not in response.headers


async def test_the_policy_when_asked_and_the_app_own_header_kept() -> None:
    async with client(make_app(DASHBOARD_CSP)) as http:
        response = await http.get("/json")
        assert response.headers["content-security-policy"] == DASHBOARD_CSP
        own = await http.get("/own")
        assert own.headers.get_list("x-frame-options") == ["SAMEORIGIN"]


def test_the_dashboard_policy_allows_no_inline_code_and_no_other_origin() -> None:
    directives = dict(d.strip().split(" ", 1) for d in DASHBOARD_CSP.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in DASHBOARD_CSP
    assert "http" not in DASHBOARD_CSP


def test_every_service_sends_them_and_only_reporting_a_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Apps are built, not started: nothing connects to these addresses.
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    monkeypatch.setenv("DATABASE_URL", "postgresql://vigie@127.0.0.1:9/vigie")
    from vigie_aggregator.app import create_app as aggregator
    from vigie_aggregator.settings import AggregatorSettings
    from vigie_alerts.app import create_app as alerts
    from vigie_alerts.settings import AlertsSettings
    from vigie_intake.app import create_app as intake
    from vigie_intake.settings import IntakeSettings
    from vigie_reporting.app import create_app as reporting
    from vigie_reporting.settings import ReportingSettings

    apps = {
        "intake": intake(IntakeSettings()),
        "aggregator": aggregator(AggregatorSettings()),
        "alerts": alerts(AlertsSettings()),
        "reporting": reporting(ReportingSettings()),
    }
    policies = {
        name: [m.kwargs["csp"] for m in app.user_middleware if cast(Any, m.cls) is SecurityHeaders]
        for name, app in apps.items()
    }
    assert policies == {
        "intake": [None],
        "aggregator": [None],
        "alerts": [None],
        "reporting": [DASHBOARD_CSP],
    }
