"""HTTP routes of the intake (docs/contract.md §5): authentication, rate limit and body size here,
the rest in `ingest.py`. Answers are encoded with orjson and no response model, to keep the
single-event path cheap.

The two write routes are `RawRoute`s: their endpoints read the raw body themselves (JSON,
NDJSON or CSV), are documented in /openapi.json through `openapi_extra`, and skip FastAPI's
parameter solving. The caller's check (`writer`) is therefore a call, not a dependency."""

# No `from __future__ import annotations`: FastAPI must see the dependency annotations of the
# routes defined inside `intake_router` as objects, not as names it cannot resolve.

import time
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response

from vigie.contract.events import IncidentState, IncidentWithdrawn
from vigie.contract.nomenclature import default_nomenclature
from vigie.platform.api import ApiError, CurrentPrincipal, RawRoute, current_principal
from vigie.platform.auth import Principal
from vigie_intake.ingest import Ingestor
from vigie_intake.metrics import IntakeMetrics
from vigie_intake.rate_limit import RateLimiter, retry_after_header
from vigie_intake.validation import (
    MalformedBody,
    TooManyEvents,
    UnsupportedMediaType,
    errors_json,
    media_kind,
    rejected_json,
)

_WRITE_ROLES = ("admin", "landlord")
_EVENT_DOC = "One incident event (docs/contract.md §3) as a JSON object."
_BATCH_DOC = (
    "Up to 10,000 events as a JSON array (`application/json`), NDJSON (`application/x-ndjson`)"
    " or CSV with a header row of §3 field names (`text/csv`). Valid lines are published, bad"
    " lines reported by index."
)

# The body of the write routes, for /openapi.json only: the endpoints read it themselves.
_EVENT_SCHEMA = {
    "oneOf": [IncidentState.model_json_schema(), IncidentWithdrawn.model_json_schema()]
}
_TEXT_SCHEMA = {"type": "string"}
_EVENT_BODY = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": _EVENT_SCHEMA}}}
}
_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "array", "items": _EVENT_SCHEMA}},
            "application/x-ndjson": {"schema": _TEXT_SCHEMA},
            "text/csv": {"schema": _TEXT_SCHEMA},
        },
    }
}


def _json(data: Any, status: int = 200) -> Response:
    """A JSON answer encoded with orjson."""
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def intake_router(
    ingestor: Ingestor,
    *,
    limiter: RateLimiter,
    metrics: IntakeMetrics,
    max_event_bytes: int,
    max_batch_bytes: int,
) -> APIRouter:
    """The `/v1` routes."""
    router = APIRouter(tags=["incidents"])

    async def writer(request: Request) -> Principal:
        """The caller, if it may write incidents and is within its rate (called by the
        RawRoute endpoints, which have no dependencies)."""
        try:
            principal = await current_principal(request, request.headers.get("authorization"))
        except ApiError:
            metrics.reject("unauthenticated", None)
            raise
        if principal.role not in _WRITE_ROLES:
            metrics.reject("forbidden", principal.landlord_id)
            raise ApiError(403, "forbidden", f"the {principal.role} role may not write incidents")
        wait = limiter.take(principal.key_id, now=time.monotonic())
        if wait:
            metrics.reject("rate_limited", principal.landlord_id)
            raise ApiError(
                429,
                "rate_limited",
                f"over this key's rate of {limiter.rate:g} requests/s",
                headers={"Retry-After": retry_after_header(wait)},
            )
        return principal

    async def post_incident(request: Request) -> Response:
        """POST /v1/incidents: one event, 202 once the broker has it."""
        principal = await writer(request)
        body = await _read_body(request, limit=max_event_bytes, metrics=metrics, who=principal)
        accepted = await ingestor.one(body, principal)
        return _json({"event_id": str(accepted.event.event_id), "status": "accepted"}, 202)

    async def post_batch(request: Request) -> Response:
        """POST /v1/incidents/batch: every valid line published, the others reported."""
        principal = await writer(request)
        try:
            kind = media_kind(request.headers.get("content-type"))
        except UnsupportedMediaType as exc:
            metrics.reject("unsupported_media_type", principal.landlord_id)
            raise ApiError(415, "unsupported_media_type", str(exc)) from None
        body = await _read_body(request, limit=max_batch_bytes, metrics=metrics, who=principal)
        try:
            outcome = await ingestor.batch(body, kind, principal)
        except TooManyEvents as exc:
            metrics.reject("too_large", principal.landlord_id)
            raise ApiError(413, "payload_too_large", str(exc)) from None
        except MalformedBody as exc:
            metrics.reject("invalid", principal.landlord_id)
            raise ApiError(
                422, "invalid", "the batch cannot be read", errors=errors_json(exc.errors)
            ) from None
        return _json(
            {
                "accepted": outcome.accepted,
                "rejected": [rejected_json(r) for r in outcome.rejected],
            }
        )

    router.add_api_route(
        "/v1/incidents",
        post_incident,
        methods=["POST"],
        route_class_override=RawRoute,
        status_code=202,
        summary="Report one incident event",
        description=_EVENT_DOC,
        openapi_extra=_EVENT_BODY,
        responses={401: {}, 403: {}, 413: {}, 422: {}, 429: {}, 503: {}},
    )
    router.add_api_route(
        "/v1/incidents/batch",
        post_batch,
        methods=["POST"],
        route_class_override=RawRoute,
        summary="Report many incident events",
        description=_BATCH_DOC,
        openapi_extra=_BATCH_BODY,
        responses={401: {}, 403: {}, 413: {}, 415: {}, 422: {}, 429: {}, 503: {}},
    )

    @router.get("/v1/nomenclature", summary="Incident categories and GSUP domains")
    async def nomenclature(_: CurrentPrincipal) -> Response:
        """GET /v1/nomenclature: categories and domains, for any valid key."""
        return _json(default_nomenclature().model_dump(mode="json"))

    return router


async def _read_body(
    request: Request, *, limit: int, metrics: IntakeMetrics, who: Principal
) -> bytes:
    """The request body, refusing with 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        metrics.reject("too_large", who.landlord_id)
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            metrics.reject("too_large", who.landlord_id)
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> ApiError:
    """The 413 answer."""
    return ApiError(413, "payload_too_large", f"the body exceeds {limit} bytes")
