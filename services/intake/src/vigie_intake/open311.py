"""The Open311 GeoReport v2 facade (docs/contract.md §5): citizen-reporting tools can post
incidents to Vigie. It authenticates with the same keys (`api_key`), goes through the same
checks and publishing as `POST /v1/incidents`, and answers in GeoReport's shapes: errors are
`[{"code", "description"}]`, each description naming the form field at fault. Its SQL is in
`repository.py`."""

# No `from __future__ import annotations`: FastAPI reads the route annotations at run time.

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import asyncpg
import orjson
from fastapi import APIRouter, Request, Response

from vigie.contract.nomenclature import default_nomenclature
from vigie.platform.api import ApiError, AuthenticatorDep
from vigie.platform.auth import Authenticator, Principal
from vigie.platform.auth.authenticator import Unauthenticated
from vigie.platform.qpv_locator import reference_locator
from vigie_intake import repository
from vigie_intake.deps import Pool
from vigie_intake.ingest import Ingestor
from vigie_intake.open311_form import FormError, form_field, request_from_form
from vigie_intake.rate_limit import RateLimiter, retry_after_header

_NOTICE = "Signalement transmis à Vigie ; le bailleur en est informé."


def open311_router(ingestor: Ingestor, *, limiter: RateLimiter) -> APIRouter:
    """The `/open311/v2` routes."""
    router = APIRouter(prefix="/open311/v2", tags=["open311"])

    @router.get("/services.json", summary="One Open311 service per incident category")
    async def services() -> Response:
        nomenclature = default_nomenclature()
        domains = {d.code: d.label for d in nomenclature.domains}
        return _json(
            [
                {
                    "service_code": c.code,
                    "service_name": c.label,
                    "description": f"{c.label} ({domains[c.domain]})",
                    "metadata": False,
                    "type": "realtime",
                    "keywords": c.domain,
                    "group": domains[c.domain],
                }
                for c in nomenclature.categories
            ]
        )

    # The form is read by hand, not declared with Form(): every error, a missing field
    # included, must answer in GeoReport's shape and name the form field.
    @router.post("/requests.json", summary="Report an incident (form-encoded)")
    async def create_request(
        request: Request, pool: Pool, authenticator: AuthenticatorDep
    ) -> Response:
        try:
            return await _create(request, pool, authenticator, ingestor, limiter)
        except _Open311Error as exc:
            return _errors(exc.status, exc.descriptions, exc.headers)

    @router.get("/requests/{service_request_id}.json", summary="One service request")
    async def get_request(
        service_request_id: str,
        pool: Pool,
        authenticator: AuthenticatorDep,
        api_key: str | None = None,
    ) -> Response:
        try:
            principal = await _reader(authenticator, api_key)
        except _Open311Error as exc:
            return _errors(exc.status, exc.descriptions, exc.headers)
        async with pool.acquire() as conn:
            stored = await repository.open311_request(conn, service_request_id)
        visible = stored is not None and (
            principal.is_admin or principal.landlord_id == stored.landlord_id
        )
        if stored is None or not visible:
            return _errors(404, [f"no service request {service_request_id}"])
        return _json([_as_georeport(stored)])

    return router


async def _create(
    request: Request,
    pool: asyncpg.Pool,
    authenticator: Authenticator,
    ingestor: Ingestor,
    limiter: RateLimiter,
) -> Response:
    """Check the form, store the request and publish its event, or raise _Open311Error."""
    form = await _form(request)
    principal = await _writer(authenticator, form.get("api_key"), limiter)
    landlord = principal.landlord_id if principal.role == "landlord" else None
    try:
        service_request = request_from_form(
            form, landlord_id=landlord, locate=_locate, now=datetime.now(UTC)
        )
    except FormError as exc:
        raise _Open311Error(400, *[f"{e.field}: {e.message}" for e in exc.errors]) from None
    event = service_request.event
    async with pool.acquire() as conn, conn.transaction():
        # Stored first, published second, committed last: a refused or unpublished
        # event leaves no row behind.
        await repository.insert_open311_request(
            conn,
            service_request_id=service_request.service_request_id,
            landlord_id=event["landlord_id"],
            event_id=event["event_id"],
            service_code=event["category"],
            territory_id=event["territory_id"],
            description=event.get("description"),
            lat=service_request.lat,
            long=service_request.long,
            requested_datetime=_requested_at(event["occurred_at"]),
        )
        try:
            await ingestor.one(orjson.dumps(event), principal)
        except ApiError as exc:
            raise _from_api_error(exc) from None  # rolls the stored row back
    return _json(
        [
            {
                "service_request_id": service_request.service_request_id,
                "service_notice": _NOTICE,
                "account_id": None,
            }
        ]
    )


def _locate(lat: float, long: float) -> str | None:
    return reference_locator().locate(lat=lat, lon=long)


def _requested_at(occurred_at: str) -> datetime:
    """The requested time for the record; an unreadable one is refused by the event rules
    anyway (and then nothing is stored), so now is only a placeholder."""
    try:
        return datetime.fromisoformat(occurred_at)
    except ValueError:
        return datetime.now(UTC)


async def _form(request: Request) -> dict[str, str]:
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip()
    if content_type != "application/x-www-form-urlencoded":
        raise _Open311Error(415, "Content-Type must be application/x-www-form-urlencoded")
    body = await request.body()
    if len(body) > 1024 * 1024:
        raise _Open311Error(413, "the form exceeds 1 MiB")
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise _Open311Error(400, "the form must be UTF-8") from None


async def _principal(authenticator: Authenticator, api_key: str | None) -> Principal:
    if not api_key:
        raise _Open311Error(401, "api_key: required")
    try:
        return await authenticator.authenticate(f"Bearer {api_key}")
    except Unauthenticated as exc:
        raise _Open311Error(401, f"api_key: {exc}") from None


async def _writer(
    authenticator: Authenticator, api_key: str | None, limiter: RateLimiter
) -> Principal:
    principal = await _principal(authenticator, api_key)
    if principal.role not in ("admin", "landlord"):
        raise _Open311Error(403, f"api_key: the {principal.role} role may not report incidents")
    wait = limiter.take(principal.key_id, now=time.monotonic())
    if wait:
        raise _Open311Error(
            429, "too many requests", headers={"Retry-After": retry_after_header(wait)}
        )
    return principal


async def _reader(authenticator: Authenticator, api_key: str | None) -> Principal:
    principal = await _principal(authenticator, api_key)
    if principal.role not in ("admin", "landlord"):
        raise _Open311Error(403, f"api_key: the {principal.role} role may not read requests")
    return principal


def _as_georeport(stored: repository.Open311Request) -> dict[str, Any]:
    category = default_nomenclature().category(stored.service_code)
    return {
        "service_request_id": stored.service_request_id,
        "status": "open",
        "service_code": stored.service_code,
        "service_name": category.label if category else stored.service_code,
        "description": stored.description,
        "agency_responsible": stored.landlord_id,
        "requested_datetime": stored.requested_datetime.isoformat(),
        "updated_datetime": stored.created_at.isoformat(),
        "address": stored.territory_name,
        "lat": stored.lat,
        "long": stored.long,
        "attributes": {"territory_id": stored.territory_id},
    }


class _Open311Error(Exception):
    """An error answered in GeoReport's shape: one description per problem."""

    def __init__(self, status: int, *descriptions: str, headers: Mapping[str, str] | None = None):
        super().__init__("; ".join(descriptions))
        self.status, self.descriptions, self.headers = status, list(descriptions), headers


def _from_api_error(exc: ApiError) -> _Open311Error:
    descriptions = [f"{form_field(e['field'])}: {e['message']}" for e in exc.errors]
    status = 400 if exc.status == 422 else exc.status
    return _Open311Error(status, *(descriptions or [exc.detail]), headers=exc.headers)


def _errors(
    status: int, descriptions: list[str], headers: Mapping[str, str] | None = None
) -> Response:
    body = [{"code": status, "description": d} for d in descriptions]
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def _json(data: Any) -> Response:
    return Response(orjson.dumps(data), media_type="application/json")
