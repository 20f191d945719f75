"""A stand-in for the alerts service's HTTP API (docs/contract.md §7), for reporting's tests only:
the
real service is built elsewhere, and reporting must work with it, and without it.

It serves `GET /v1/alerts?state=open`, `POST /v1/alerts/{id}/ack` (recorded) and
`GET /v1/alerts/stream` (SSE: the open alerts at once, then whatever `publish` adds), on a free
port, in a thread; for the referents' network, `GET /v1/referents?territory_id=` (those naming
the territory), `POST/GET /v1/alerts/{id}/mobilisations` (a signalement `sent`, its
follow-up in `events`) and `POST /v1/alerts/{id}/mobilisations/{mid}/events` (forward only)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse, StreamingResponse

from vigie.platform.processes import free_port

FOLLOW_UP = ("sent", "received", "taken_up", "action_under_way", "closed")


class FakeAlerts:
    """The alerts it serves, and the events its stream sends."""

    def __init__(self, alerts: list[dict[str, Any]], *, stream_seconds: float = 60.0) -> None:
        self.alerts = alerts
        self.stream_seconds = stream_seconds
        self.events: list[dict[str, Any]] = []
        self.authorizations: list[str | None] = []
        self.acknowledgements: list[tuple[str, str | None, dict[str, Any]]] = []
        self.referents: list[dict[str, Any]] = []
        self.mobilisations: dict[str, list[dict[str, Any]]] = {}
        self.relayed: list[tuple[str, str | None]] = []  # (path, Authorization) of network calls

    def publish(self, alert: dict[str, Any]) -> None:
        """Send an alert change to every stream."""
        self.events.append(alert)

    def app(self) -> FastAPI:
        """The ASGI app."""
        app = FastAPI()

        @app.get("/v1/alerts")
        async def alerts(state: str | None = None) -> JSONResponse:
            return JSONResponse([a for a in self.alerts if state is None or a["state"] == state])

        @app.post("/v1/alerts/{alert_id}/ack")
        async def ack(
            alert_id: str, body: dict[str, Any], authorization: str | None = Header(default=None)
        ) -> JSONResponse:
            self.acknowledgements.append((alert_id, authorization, body))
            for one in self.alerts:
                if one["alert_id"] == alert_id:
                    one.update(state="acknowledged", acknowledged_by="le tableau de bord")
                    return JSONResponse(one)
            return JSONResponse({"error": "not_found"}, status_code=404)

        @app.get("/v1/referents")
        async def referents(
            territory_id: str | None = None, authorization: str | None = Header(default=None)
        ) -> JSONResponse:
            self.relayed.append(("/v1/referents", authorization))
            found = [r for r in self.referents if territory_id in (None, *r["territory_ids"])]
            return JSONResponse({"referents": found})

        @app.get("/v1/alerts/{alert_id}/mobilisations")
        async def mobilisations(
            alert_id: str, authorization: str | None = Header(default=None)
        ) -> JSONResponse:
            self.relayed.append((f"/v1/alerts/{alert_id}/mobilisations", authorization))
            return JSONResponse({"mobilisations": self.mobilisations.get(alert_id, [])})

        @app.post("/v1/alerts/{alert_id}/mobilisations")
        async def mobilise(
            alert_id: str, body: dict[str, Any], authorization: str | None = Header(default=None)
        ) -> JSONResponse:
            self.relayed.append((f"/v1/alerts/{alert_id}/mobilisations", authorization))
            if not any(a["alert_id"] == alert_id for a in self.alerts):
                return JSONResponse({"error": "not_found"}, status_code=404)
            made = {
                "mobilisation_id": f"mob-{len(self.mobilisations.get(alert_id, [])) + 1}",
                "alert_id": alert_id,
                "note": body.get("note"),
                "state": "sent",
                "created_by": "le tableau de bord",
                "created_at": "2026-01-05T10:00:00+00:00",
                "recipients": [{"name": "Cellule CLSPD", "organisation": "Mairie"}],
                "events": [
                    {"state": "sent", "at": "2026-01-05T10:00:00+00:00", "actor": "manager"}
                ],
            }
            self.mobilisations.setdefault(alert_id, []).append(made)
            return JSONResponse(made, status_code=201)

        @app.post("/v1/alerts/{alert_id}/mobilisations/{mobilisation_id}/events")
        async def step(
            alert_id: str,
            mobilisation_id: str,
            body: dict[str, Any],
            authorization: str | None = Header(default=None),
        ) -> JSONResponse:
            path = f"/v1/alerts/{alert_id}/mobilisations/{mobilisation_id}/events"
            self.relayed.append((path, authorization))
            for made in self.mobilisations.get(alert_id, []):
                if made["mobilisation_id"] == mobilisation_id:
                    order = list(FOLLOW_UP)
                    if order.index(body["state"]) <= order.index(made["state"]):
                        return JSONResponse({"error": "conflict"}, status_code=409)
                    made["state"] = body["state"]
                    at = "2026-01-05T11:00:00+00:00"
                    made["events"].append({"state": body["state"], "at": at, "actor": "manager"})
                    return JSONResponse(made, status_code=201)
            return JSONResponse({"error": "not_found"}, status_code=404)

        @app.get("/v1/alerts/stream")
        async def stream(authorization: str | None = Header(default=None)) -> StreamingResponse:
            self.authorizations.append(authorization)
            return StreamingResponse(self._events(), media_type="text/event-stream")

        return app

    async def _events(self) -> AsyncIterator[bytes]:
        for alert in self.alerts:
            yield f"event: alert\ndata: {json.dumps(alert)}\n\n".encode()
        sent = 0
        for _ in range(int(self.stream_seconds * 10)):
            while sent < len(self.events):
                yield f"event: alert\ndata: {json.dumps(self.events[sent])}\n\n".encode()
                sent += 1
            yield b": keep-alive\n\n"
            await asyncio.sleep(0.1)


def alert(territory_id: str, **fields: Any) -> dict[str, Any]:
    """An alert in the §7 payload shape."""
    return {
        "alert_id": f"al-{territory_id}",
        "rule_id": "tags-hebdo",
        "territory_id": territory_id,
        "state": "open",
        "level": "alerte",
        "previous_level": "vigilance",
        "value": 3,
        "threshold": 2,
        "window_days": 7,
        "opened_at": "2026-01-05T08:00:00+00:00",
        "changed_at": "2026-01-05T09:00:00+00:00",
        "dedup_key": f"tags-hebdo:{territory_id}",
        **fields,
    }


@contextmanager
def fake_alerts_service(fake: FakeAlerts) -> Iterator[str]:
    """Serve the fake on a free port until the block ends; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            fake.app(),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
