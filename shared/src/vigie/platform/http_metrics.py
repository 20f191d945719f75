"""HTTP request metrics for every service, and the refusal of new API requests while draining.

One pure-ASGI middleware (no BaseHTTPMiddleware: no task or stream per request) counts each
request by method, route and status and times it by method and route, with the names deploy/
uses (`vigie_http_requests_total`, `vigie_http_request_duration_seconds`). `route` is the
template of the route the router matched (`/v1/alerts/{alert_id}`), never the raw path, so that
the series stay few; a request no route matched is `unmatched`, and one refused while the
process drains (before any routing) is `draining`. The labelled children are kept
per (method, route, status): the hot path then costs a dict lookup, an increment and an
observation (measured with `bench intake`: see the commit that added this)."""

from __future__ import annotations

import time

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigie.platform.drain import REFUSED_PREFIXES, RETRY_AFTER_S, Drain, drain_of

UNMATCHED = "unmatched"
DRAINING = "draining"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# From a single event on a warm path (~1 ms) to a 10,000-line batch or an export.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_DRAINING_BODY = (
    b'{"error":"unavailable","detail":"the service is stopping; retry (with the same event_id'
    b' for an incident: duplicates count once)","errors":[]}'
)


class HttpMetrics:
    """The two request metrics on one registry, with their labelled children cached."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "vigie_http_requests_total",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "vigie_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by method and route.",
            ["method", "route"],
            buckets=BUCKETS,
            registry=registry,
        )
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and record its duration."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.duration.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


class RequestMetricsMiddleware:
    """Counts and times each HTTP request; while the process drains, answers 503 with
    Retry-After to new API requests (vigie.platform.drain)."""

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics, drain: Drain) -> None:
        self.app = app
        self.metrics = metrics
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"]
        if method not in METHODS:
            method = "other"
        if self.drain.active and scope["path"].startswith(REFUSED_PREFIXES):
            await _refuse(send)
            self.metrics.observe(method, DRAINING, 503, time.perf_counter() - started)
            return
        status = 500  # unless an answer starts: an exception becomes a 500 outside this layer

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        root_path = scope.get("root_path", "")
        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.observe(
                method, _route(scope, root_path), status, time.perf_counter() - started
            )


def instrument(app: FastAPI, *, registry: CollectorRegistry) -> None:
    """Export the request metrics of `app` on `registry`, and refuse its new API requests while
    the process drains."""
    app.add_middleware(
        RequestMetricsMiddleware,
        metrics=HttpMetrics(registry),
        drain=drain_of(app),
    )


async def _refuse(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_DRAINING_BODY)).encode()),
                (b"retry-after", str(RETRY_AFTER_S).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _DRAINING_BODY})


def _route(scope: Scope, root_path: str) -> str:
    """The template of the route the router chose: FastAPI and Starlette put the route in the
    scope; a mount (static files) only extends `root_path`, so its template is rebuilt."""
    matched = scope.get("route")
    if matched is not None:
        return str(getattr(matched, "path_format", UNMATCHED))
    mounted: str = scope.get("root_path", "")
    if mounted != root_path:
        return mounted[len(root_path) :] + "/{path}"
    return UNMATCHED
