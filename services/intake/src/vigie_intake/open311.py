"""The Open311 GeoReport v2 facade (docs/contract.md §5): citizen-reporting tools and landlords'
Open311 clients post incidents to Vigie and read them back, in JSON (`.json`) or XML (`.xml`).

Writes authenticate with the same keys (`api_key`), go through the same checks and publishing as
`POST /v1/incidents`. Reads (decisions in `open311_view.py` and `open311_query.py`):
- one request by its id, without a key: the public view (status, service, dates), the id being
  an unguessable capability; with a key: the full view, for an admin or the request's landlord
  (another landlord's key gets 404, as for an unknown id);
- the list needs a key (a landlord sees its own requests only), except when it names request
  ids, which then read like single requests without a key;
- the status follows the incident (the aggregator's `incidents`, read-only).
Errors are GeoReport's `[{"code", "description"}]` (`<errors><error>` in XML), each description
naming the parameter at fault. Its SQL is in `repository.py`."""

# No `from __future__ import annotations`: FastAPI reads the route annotations at run time.

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import asyncpg
import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from vigie.platform.api import ApiError, AuthenticatorDep
from vigie.platform.auth import Authenticator, Principal
from vigie.platform.auth.authenticator import Unauthenticated
from vigie.platform.qpv_locator import reference_locator
from vigie_intake import open311_view as view
from vigie_intake import repository
from vigie_intake.deps import Pool
from vigie_intake.ingest import Ingestor
from vigie_intake.open311_form import FormError, form_field, request_from_form
from vigie_intake.open311_query import (
    MAX_REQUESTS,
    api_key,
    jurisdiction_error,
    list_query,
)
from vigie_intake.open311_xml import xml_document
from vigie_intake.rate_limit import RateLimiter, retry_after_header


class XmlAnswer(Response):
    """What the `.xml` routes answer, as their OpenAPI document says."""

    media_type = "text/xml"


_NOTICE = "Signalement transmis à Vigie ; le bailleur en est informé."
MAX_FORM_BYTES = 1024 * 1024
MAX_MULTIPART_BYTES = 16 * 1024 * 1024  # a photo may come along; it is not kept
_READ_ROLES = _WRITE_ROLES = ("admin", "landlord")
_XML = "text/xml; charset=utf-8"


# Query parameters, for /openapi.json only: the handlers read them themselves, so that every
# error answers in GeoReport's shape.
_JURISDICTION = ("jurisdiction_id", "optional: this endpoint's jurisdiction, else 404")
_KEY = (
    "api_key",
    "a Vigie admin or landlord token (or an Authorization header: Bearer, or Basic with the"
    " token as password); without one, a request reads in its public view",
)
_FILTERS = (
    ("service_request_id", "comma-separated ids (overrides the other filters)"),
    ("service_code", "comma-separated service codes"),
    ("start_date", "earliest requested_datetime (W3C); default: 90 days before end_date"),
    ("end_date", "latest requested_datetime (W3C); default: now; at most 90 days"),
    ("status", "open, closed, or both (comma-separated)"),
)


def _documented(*params: tuple[str, str]) -> dict[str, Any]:
    return {
        "parameters": [
            {
                "name": n,
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": d,
            }
            for n, d in params
        ]
    }


def _errors_documented(fmt: str) -> dict[int | str, dict[str, Any]]:
    """The errors of a route in GeoReport's shape, for /openapi.json."""
    if fmt == "xml":
        content: dict[str, Any] = {"text/xml": {"schema": {"type": "string"}}}
    else:
        error = {
            "type": "object",
            "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
            "required": ["code", "description"],
        }
        content = {"application/json": {"schema": {"type": "array", "items": error}}}
    return {"4XX": {"description": "GeoReport errors: code and description", "content": content}}


class Open311Error(Exception):
    """An error answered in GeoReport's shape, one description per problem, by
    `open311_error` (installed on the app)."""

    def __init__(self, status: int, *descriptions: str, headers: Mapping[str, str] | None = None):
        super().__init__("; ".join(descriptions))
        self.status, self.descriptions, self.headers = status, list(descriptions), headers


def open311_router(ingestor: Ingestor, *, limiter: RateLimiter, jurisdiction: str) -> APIRouter:
    """The `/open311` routes: discovery, and GeoReport v2 under `/open311/v2`."""

    async def check_jurisdiction(request: Request) -> None:
        if problem := jurisdiction_error(request.query_params, jurisdiction=jurisdiction):
            raise Open311Error(404, problem)

    router = APIRouter(
        prefix="/open311", tags=["open311"], dependencies=[Depends(check_jurisdiction)]
    )

    async def discovery(request: Request) -> Response:
        endpoint = str(request.base_url).rstrip("/") + "/open311/v2"
        return _answer(request, "discovery", view.discovery(endpoint))

    async def services(request: Request) -> Response:
        return _answer(request, "services", view.services())

    async def service_definition(request: Request, service_code: str) -> Response:
        definition = view.service_definition(service_code)
        if definition is None:
            raise Open311Error(404, f"service_code: no service {service_code}")
        return _answer(request, "service_definition", definition)

    async def create_request(
        request: Request, pool: Pool, authenticator: AuthenticatorDep
    ) -> Response:
        form = {**dict(request.query_params), **await _form(request)}
        if problem := jurisdiction_error(form, jurisdiction=jurisdiction):
            raise Open311Error(404, problem)
        return await _create(request, form, pool, authenticator, ingestor, limiter)

    async def get_request(
        request: Request, service_request_id: str, pool: Pool, authenticator: AuthenticatorDep
    ) -> Response:
        principal = await _reader(request, authenticator, limiter)
        scope = _scope(principal)
        async with pool.acquire() as conn:
            found = await repository.open311_requests_by_id(
                conn, [service_request_id], landlord_id=scope
            )
        if not found:
            raise Open311Error(404, f"service_request_id: no service request {service_request_id}")
        return _answer(request, "service_requests", _views(found, principal))

    async def list_requests(
        request: Request, pool: Pool, authenticator: AuthenticatorDep
    ) -> Response:
        try:
            query = list_query(request.query_params, now=datetime.now(UTC))
        except FormError as exc:
            raise Open311Error(400, *[f"{e.field}: {e.message}" for e in exc.errors]) from None
        principal = await _reader(request, authenticator, limiter)
        if principal is None and query.service_request_ids is None:
            raise Open311Error(
                401, "api_key: required to list requests (one request reads by its id alone)"
            )
        scope = _scope(principal)
        async with pool.acquire() as conn:
            if query.service_request_ids is not None:
                found = await repository.open311_requests_by_id(
                    conn, query.service_request_ids, landlord_id=scope
                )
            else:
                found = await repository.open311_requests(
                    conn,
                    landlord_id=scope,
                    start=query.start,
                    end=query.end,
                    service_codes=query.service_codes,
                    withdrawn=query.withdrawn,
                    limit=MAX_REQUESTS,
                )
        return _answer(request, "service_requests", _views(found, principal))

    def route(
        path: str, endpoint: Any, method: str, summary: str, fmt: str, *params: tuple[str, str]
    ) -> None:
        router.add_api_route(
            path,
            endpoint,
            methods=[method],
            summary=f"{summary} ({fmt})",
            operation_id=f"open311_{endpoint.__name__}_{fmt}",
            openapi_extra=_documented(_JURISDICTION, *params),
            responses=_errors_documented(fmt),
            response_class=XmlAnswer if fmt == "xml" else JSONResponse,
        )

    for fmt in view.FORMATS:
        route(f"/v2/discovery.{fmt}", discovery, "GET", "The GeoReport discovery document", fmt)
        router.add_api_route(f"/discovery.{fmt}", discovery, include_in_schema=False)
        route(f"/v2/services.{fmt}", services, "GET", "One service per incident category", fmt)
        route(
            "/v2/services/{service_code}." + fmt,
            service_definition,
            "GET",
            "The attributes a request of this service may carry",
            fmt,
        )
        route(
            f"/v2/requests.{fmt}",
            create_request,
            "POST",
            "Report an incident (form fields, URL-encoded or multipart)",
            fmt,
        )
        route(
            f"/v2/requests.{fmt}",
            list_requests,
            "GET",
            "Service requests: the key's, or those named by id (public view without a key)",
            fmt,
            _KEY,
            *_FILTERS,
        )
        route(
            "/v2/requests/{service_request_id}." + fmt,
            get_request,
            "GET",
            "One service request: the public view without a key, the full one with a key",
            fmt,
            _KEY,
        )
    return router


async def _create(
    request: Request,
    form: dict[str, str],
    pool: asyncpg.Pool,
    authenticator: Authenticator,
    ingestor: Ingestor,
    limiter: RateLimiter,
) -> Response:
    """Check the form, store the request and publish its event, or raise Open311Error."""
    principal = await _writer(
        authenticator, api_key(form, request.headers.get("authorization")), limiter
    )
    landlord = principal.landlord_id if principal.role == "landlord" else None
    try:
        service_request = request_from_form(
            form, landlord_id=landlord, locate=_locate, now=datetime.now(UTC)
        )
    except FormError as exc:
        raise Open311Error(400, *[f"{e.field}: {e.message}" for e in exc.errors]) from None
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
    created = {
        "service_request_id": service_request.service_request_id,
        "service_notice": _NOTICE,
        "account_id": None,
    }
    return _answer(request, "service_requests", [created])


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
    """The posted fields: URL-encoded, or multipart (whose files, a photo, are dropped)."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            raise Open311Error(413, "the form exceeds 1 MiB")
        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise Open311Error(400, "the form must be UTF-8") from None
    if content_type == "multipart/form-data":
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_MULTIPART_BYTES:
            raise Open311Error(413, "the form exceeds 16 MiB")
        try:
            async with request.form(max_files=4, max_fields=100) as form:
                return {k: v for k, v in form.multi_items() if not isinstance(v, UploadFile)}
        except Exception as exc:  # Starlette raises its own and python-multipart's errors
            raise Open311Error(400, f"unreadable multipart form ({exc})") from None
    raise Open311Error(
        415, "Content-Type must be application/x-www-form-urlencoded or multipart/form-data"
    )


async def _principal(authenticator: Authenticator, key: str) -> Principal:
    try:
        return await authenticator.authenticate(f"Bearer {key}")
    except Unauthenticated as exc:
        raise Open311Error(401, f"api_key: {exc}") from None


def _take(limiter: RateLimiter, principal: Principal) -> None:
    wait = limiter.take(principal.key_id, now=time.monotonic())
    if wait:
        raise Open311Error(
            429, "too many requests", headers={"Retry-After": retry_after_header(wait)}
        )


async def _writer(authenticator: Authenticator, key: str | None, limiter: RateLimiter) -> Principal:
    if not key:
        raise Open311Error(401, "api_key: required")
    principal = await _principal(authenticator, key)
    if principal.role not in _WRITE_ROLES:
        raise Open311Error(403, f"api_key: the {principal.role} role may not report incidents")
    _take(limiter, principal)
    return principal


async def _reader(
    request: Request, authenticator: Authenticator, limiter: RateLimiter
) -> Principal | None:
    """The caller when a key is given (None without one: public reads)."""
    key = api_key(request.query_params, request.headers.get("authorization"))
    if key is None:
        return None
    principal = await _principal(authenticator, key)
    if principal.role not in _READ_ROLES:
        raise Open311Error(403, f"api_key: the {principal.role} role may not read requests")
    _take(limiter, principal)
    return principal


def _scope(principal: Principal | None) -> str | None:
    """The landlord whose requests the caller may see in full; None: any (admin, or public)."""
    if principal is None or principal.is_admin:
        return None
    return principal.landlord_id or ""


def _views(found: list[view.RequestState], principal: Principal | None) -> list[dict[str, Any]]:
    shown = view.public_view if principal is None else view.full_view
    return [shown(state) for state in found]


def _from_api_error(exc: ApiError) -> Open311Error:
    descriptions = [f"{form_field(e['field'])}: {e['message']}" for e in exc.errors]
    status = 400 if exc.status == 422 else exc.status
    return Open311Error(status, *(descriptions or [exc.detail]), headers=exc.headers)


def _format(request: Request) -> str:
    """The format the path asks for (GeoReport's `.json` / `.xml` suffix)."""
    return "xml" if request.url.path.endswith(".xml") else "json"


def _answer(request: Request, root: str, data: dict[str, Any] | list[Any]) -> Response:
    fmt = _format(request)
    if fmt == "xml":
        return Response(xml_document(root, data), media_type=_XML)
    return Response(orjson.dumps(data), media_type="application/json")


async def open311_error(request: Request, exc: Exception) -> Response:
    """The answer to an Open311Error, in the format of the path asked for."""
    assert isinstance(exc, Open311Error)
    body = [{"code": exc.status, "description": d} for d in exc.descriptions]
    if _format(request) == "xml":
        content = xml_document("errors", body)
        return Response(content, exc.status, exc.headers, media_type=_XML)
    return Response(orjson.dumps(body), exc.status, exc.headers, media_type="application/json")
