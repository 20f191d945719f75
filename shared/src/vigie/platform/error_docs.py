"""The contract's error answers (docs/contract.md §5) written into every operation of an app's
OpenAPI document, so that clients and fuzzers read the shape the services really send:
`{"error", "detail", "errors": [{"field", "message"}]}` for any 4xx, the 422 of a request that
breaks the schema (FastAPI documents its own `HTTPValidationError`, which no route answers),
and 503 when a dependency is down."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

_REF = "#/components/schemas/{model}"
_FRAMEWORK_SCHEMAS = ("HTTPValidationError", "ValidationError")


class FieldErrorBody(BaseModel):
    """One field at fault."""

    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error answer of every service."""

    error: str = Field(description="a stable code: invalid, forbidden, not_found…")
    detail: Any = Field(description="for a person to read")
    errors: list[FieldErrorBody] = Field(description="the fields at fault, empty if none")


def _error_content() -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": _REF.format(model="ErrorBody")}}}


_ADDED: dict[str, str] = {
    "4XX": "Refused, in the error shape of §5: 400 bad_request, 401 unauthenticated "
    "(WWW-Authenticate: Bearer), 403 forbidden, 404 not_found, 409, 410, 413 "
    "payload_too_large, 415 unsupported_media_type, 429 rate_limited",
    "503": "unavailable or database_unavailable (with Retry-After): retry later",
}


def add_error_responses(document: dict[str, Any]) -> None:
    """Document the error answers in every operation (idempotent)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorBody" in schemas:
        return  # done already: FastAPI caches the document it built
    body = ErrorBody.model_json_schema(ref_template=_REF)
    schemas.update(body.pop("$defs", {}))
    schemas["ErrorBody"] = body
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            # A route answering its errors in a shape of its own documents them as "4XX".
            own = responses.get("4XX")
            client_errors = own["content"] if own and _documents_its_own_body(own) else None
            for status, answer in responses.items():
                if status[0] in "45" and not _documents_its_own_body(answer):
                    is_client = status[0] == "4" and client_errors is not None
                    answer["content"] = client_errors if is_client else _error_content()
            if "422" in responses:
                responses["422"]["description"] = "invalid: `errors` names each field at fault"
            for status, description in _ADDED.items():
                responses.setdefault(
                    status, {"description": description, "content": _error_content()}
                )
    text = repr(document.get("paths"))
    for name in _FRAMEWORK_SCHEMAS:
        if f"/{name}'" not in text:
            schemas.pop(name, None)


def _documents_its_own_body(answer: dict[str, Any]) -> bool:
    """Whether a documented error names a schema of its own (not FastAPI's validation error)."""
    for media in answer.get("content", {}).values():
        schema = media.get("schema")
        if schema is not None and not schema.get("$ref", "").endswith(_FRAMEWORK_SCHEMAS):
            return True
    return False


def document_errors(app: FastAPI) -> None:
    """Have the app's /openapi.json list the error answers of every operation."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()  # FastAPI's, built once and cached in app.openapi_schema
        add_error_responses(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
