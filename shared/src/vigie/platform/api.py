"""What every HTTP service shares: the error shape of docs/contract.md §5
(`{"error", "detail", "errors": [{"field", "message"}]}`), typed access to the resources an
app's lifespan opens, the authentication dependencies, and a route class for hot paths."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Annotated, Any, Generic, TypeVar, cast

import asyncpg
from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException

from vigie.platform.auth import Authenticator, Principal, Role
from vigie.platform.auth.authenticator import Unauthenticated
from vigie.platform.error_docs import document_errors
from vigie.platform.outage import OUTAGE_CLASSES, RETRY_AFTER_S, database_outage

_log = logging.getLogger(__name__)
T = TypeVar("T")


class ApiError(Exception):
    """An error answer: HTTP status, a stable code, a human detail, optional field errors."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.errors = errors or []
        self.headers = headers


def error_response(
    status: int,
    code: str,
    detail: Any,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON error in the contract's shape."""
    body = {"error": code, "detail": detail, "errors": errors or []}
    return JSONResponse(body, status_code=status, headers=headers)


# `responses=` of a PUT that creates (201) or replaces (200) what it names.
CREATED: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "Created (200: replaced)",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}
# What PostgreSQL answers for text it cannot store (NUL, U+0000): the client's input, not a bug.
_UNSTORABLE_TEXT = (
    asyncpg.exceptions.CharacterNotInRepertoireError,
    asyncpg.exceptions.UntranslatableCharacterError,
)

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}


def install_error_handlers(app: FastAPI) -> None:
    """Every error, ours or the framework's, answers in the contract's shape; never a bare 500.
    The app's OpenAPI document lists these answers in every operation."""

    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(
            exc.status, exc.code, exc.detail, errors=exc.errors, headers=exc.headers
        )

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path")),
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        return error_response(422, "invalid", "the request is invalid", errors=errors)

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _STATUS_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, exc.detail, headers=exc.headers)

    async def dependency_down(_: Request, exc: Exception) -> JSONResponse:
        # A database outage is the client's cue to retry, not a bug: 503, never 500.
        reason = database_outage(exc)
        if reason is None:
            raise exc  # not an outage: the catch-all below answers 500 and logs it
        _log.warning("database %s: %r", reason, exc)
        return error_response(
            503,
            "database_unavailable",
            f"the database is {reason}; retry later",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    async def unstorable_text(_: Request, exc: Exception) -> JSONResponse:
        return error_response(
            422, "invalid", "a text value holds a character that cannot be stored (NUL, \\u0000)"
        )

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal", "unexpected error; it has been logged")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    for outage in OUTAGE_CLASSES:
        app.add_exception_handler(outage, dependency_down)
    for unstorable in _UNSTORABLE_TEXT:
        app.add_exception_handler(unstorable, unstorable_text)
    app.add_exception_handler(Exception, unexpected)
    document_errors(app)  # and /openapi.json says so, in every operation


class AppResource(Generic[T]):
    """A resource an app's lifespan opens and its handlers use, kept in `app.state` under one
    name. `set()` records it: called once, in the lifespan, before the app serves. `get()`
    reads it back typed, answering 503 while the lifespan has not set it; it is also a FastAPI
    dependency: `Annotated[T, Depends(RESOURCE.get)]`."""

    __slots__ = ("kind", "name")

    def __init__(self, name: str, kind: type[T]) -> None:
        self.name, self.kind = name, kind

    def set(self, app: Starlette, value: T) -> None:
        """Record the app's resource."""
        setattr(app.state, self.name, value)

    def get(self, request: Request) -> T:
        """The resource of the app serving `request`."""
        value = getattr(request.app.state, self.name, None)
        if not isinstance(value, self.kind):
            raise ApiError(503, "unavailable", "the service is starting or stopping")
        return value

    def __repr__(self) -> str:
        return f"AppResource({self.name!r}, {self.kind.__name__})"


# Every HTTP service that authenticates sets it in its lifespan: AUTHENTICATOR.set(app, ...).
AUTHENTICATOR = AppResource("authenticator", Authenticator)
AuthenticatorDep = Annotated[Authenticator, Depends(AUTHENTICATOR.get)]


async def current_principal(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """The caller, from the bearer token; 401 otherwise. Needs the app's AUTHENTICATOR."""
    authenticator = AUTHENTICATOR.get(request)
    try:
        return await authenticator.authenticate(authorization)
    except Unauthenticated as exc:
        raise ApiError(
            401, "unauthenticated", str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting admins and the given roles; 403 for the others."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.is_admin or principal.role in roles:
            return principal
        raise ApiError(403, "forbidden", f"the {principal.role} role may not do this")

    return dependency


class RawRoute(APIRoute):
    """A FastAPI route whose endpoint takes the `Request` alone and returns a `Response`.

    It is listed in /openapi.json like any route (document its body with `openapi_extra`), but
    served without FastAPI's parameter solving, which parses the query string and the cookies
    and builds a response object on every request, even for an endpoint that declares no
    parameter. Measured on the intake's single-event path in process (2 cores, FastAPI 0.165):
    a plain FastAPI route cost ~35 µs more per request (+25 %), a RawRoute ~1 µs more than a
    Starlette route. Hence no dependencies: a route declaring any, or any parameter but the
    Request, is refused here; those of an enclosing router (`include_router(dependencies=)`)
    would not run."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        d = self.dependant
        declared = [*d.path_params, *d.query_params, *d.header_params, *d.cookie_params]
        if declared or d.body_params or d.dependencies or d.request_param_name is None:
            raise TypeError(f"{path}: a RawRoute endpoint takes the Request and nothing else")

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The endpoint itself: nothing to solve."""
        return cast(Callable[[Request], Coroutine[Any, Any, Response]], self.endpoint)
