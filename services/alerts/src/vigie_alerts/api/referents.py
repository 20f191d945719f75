"""`/v1/referents`: each landlord's security referents, the default recipients of its alerts
(docs/contract.md §7). Personal data: who reads and manages what is in
vigie_alerts.directory_access; never in shared views, exports or reports."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from vigie.platform import audit
from vigie.platform.api import CREATED, ApiError, CurrentPrincipal
from vigie.platform.auth import Principal
from vigie_alerts import directory
from vigie_alerts.api.deps import Landlord, Runtime
from vigie_alerts.directory_access import (
    may_manage_referent,
    may_read_referents,
    may_see_referent,
)
from vigie_alerts.rules import RULE_ID_PATTERN
from vigie_alerts.runtime import AlertsRuntime

router = APIRouter(prefix="/v1/referents", tags=["referents"])
ReferentId = Annotated[str, Path(pattern=RULE_ID_PATTERN, description="letters, digits, . _ -")]
Text = Annotated[str, Field(min_length=1, max_length=200)]

# Suggested roles; any other wording is accepted (landlords name their posts their own way).
ROLES = ("responsable sécurité", "chargé de GSUP", "gardien référent", "chargé de mission")


class ReferentBody(BaseModel):
    """A referent: who, for which landlord, how to reach them, which territories they cover
    (with the territories below them)."""

    model_config = ConfigDict(extra="forbid")
    landlord_id: Text
    name: Text
    role: Annotated[str, Field(min_length=1, max_length=100, examples=list(ROLES))]
    email: EmailStr
    phone: Annotated[str, Field(max_length=40, pattern=r"^[0-9 +().-]*$")] | None = None
    territory_ids: Annotated[list[str], Field(min_length=1, max_length=200)]


def referent_view(row: asyncpg.Record) -> dict[str, Any]:
    """A referent as the API shows it."""
    return {
        "referent_id": row["referent_id"],
        "landlord_id": row["landlord_id"],
        "name": row["name"],
        "role": row["role"],
        "email": row["email"],
        "phone": row["phone"],
        "territory_ids": row["territory_ids"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def unknown_territories(rt: AlertsRuntime, territory_ids: list[str]) -> None:
    """422 naming the territories the reference does not know."""
    unknown = [t for t in territory_ids if t not in rt.evaluator.index.territories]
    if unknown:
        raise ApiError(
            422,
            "invalid",
            "the request is invalid",
            errors=[
                {"field": "territory_ids", "message": f"unknown territory: {', '.join(unknown)}"}
            ],
        )


def _readable(principal: Principal) -> None:
    if not may_read_referents(principal):
        raise ApiError(403, "forbidden", f"the {principal.role} role may not read referents")


def _visible(principal: Principal, rt: AlertsRuntime, row: asyncpg.Record) -> bool:
    return may_see_referent(
        principal,
        landlord_id=row["landlord_id"],
        territory_ids=row["territory_ids"],
        ancestors=rt.evaluator.index.ancestors_of,
    )


@router.put("/{referent_id}", responses=CREATED)
async def put_referent(
    referent_id: ReferentId,
    body: ReferentBody,
    principal: Landlord,
    rt: Runtime,
    response: Response,
) -> dict[str, Any]:
    """Create or replace a referent (admins; a landlord key for its own landlord)."""
    if not may_manage_referent(principal, body.landlord_id):
        raise ApiError(403, "forbidden", "this key may not manage this landlord's referents")
    unknown_territories(rt, body.territory_ids)
    async with rt.pool.acquire() as conn, conn.transaction():
        existing = await directory.referents(conn, referent_id)
        if existing and not may_manage_referent(principal, existing[0]["landlord_id"]):
            raise ApiError(403, "forbidden", "this referent belongs to another landlord")
        created = await directory.upsert_referent(
            conn, referent_id, **body.model_dump(exclude={"email"}), email=str(body.email)
        )
        row = (await directory.referents(conn, referent_id))[0]
        # Who changed the directory, never the contact data itself.
        details = {"landlord_id": body.landlord_id, "territory_ids": body.territory_ids}
        await audit.record(
            conn, actor=principal, action="referents.put", target=referent_id, details=details
        )
    response.status_code = 201 if created else 200
    return referent_view(row)


@router.get("")
async def list_referents(
    principal: CurrentPrincipal,
    rt: Runtime,
    territory_id: str | None = None,
    landlord_id: str | None = None,
) -> dict[str, Any]:
    """The referents the caller may see; `territory_id`: those covering it (naming it or a
    territory containing it)."""
    _readable(principal)
    around = rt.evaluator.index.ancestors_of(territory_id) if territory_id else None
    async with rt.pool.acquire() as conn:
        rows = await directory.referents(conn, landlord_id=landlord_id, naming_any_of=around)
    return {"referents": [referent_view(row) for row in rows if _visible(principal, rt, row)]}


@router.get("/{referent_id}")
async def get_referent(
    referent_id: ReferentId, principal: CurrentPrincipal, rt: Runtime
) -> dict[str, Any]:
    """One referent."""
    _readable(principal)
    async with rt.pool.acquire() as conn:
        rows = await directory.referents(conn, referent_id)
    if not rows or not _visible(principal, rt, rows[0]):
        raise ApiError(404, "not_found", f"no referent {referent_id}")
    return referent_view(rows[0])


@router.delete("/{referent_id}", status_code=204)
async def delete_referent(referent_id: ReferentId, principal: Landlord, rt: Runtime) -> Response:
    """Delete a referent (admins; a landlord key for its own landlord)."""
    _readable(principal)
    async with rt.pool.acquire() as conn, conn.transaction():
        rows = await directory.referents(conn, referent_id)
        if not rows or not _visible(principal, rt, rows[0]):
            raise ApiError(404, "not_found", f"no referent {referent_id}")
        if not may_manage_referent(principal, rows[0]["landlord_id"]):
            raise ApiError(403, "forbidden", "this key may not manage this landlord's referents")
        await directory.delete_referent(conn, referent_id)
        await audit.record(conn, actor=principal, action="referents.delete", target=referent_id)
    return Response(status_code=204)
