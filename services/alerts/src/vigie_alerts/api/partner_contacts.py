"""`/v1/partner-contacts`: the CLSPD partners of each territory (mairie, préfecture, police or
gendarmerie, parquet, coordinator…), whom a manager mobilises from an alert (docs/contract.md
§7). Admins manage them; managers read those of their territories."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from vigie.platform import audit
from vigie.platform.api import CREATED, ApiError, CurrentPrincipal
from vigie.platform.auth import Principal
from vigie_alerts import directory
from vigie_alerts.api.deps import Admin, Runtime
from vigie_alerts.api.referents import unknown_territories
from vigie_alerts.directory_access import may_read_partner_contacts, may_see_partner_contact
from vigie_alerts.rules import RULE_ID_PATTERN
from vigie_alerts.runtime import AlertsRuntime

router = APIRouter(prefix="/v1/partner-contacts", tags=["partner contacts"])
ContactId = Annotated[str, Path(pattern=RULE_ID_PATTERN, description="letters, digits, . _ -")]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class PartnerContactBody(BaseModel):
    """A partner contact: who, in which organisation and role, where, how to reach them."""

    model_config = ConfigDict(extra="forbid")
    name: Text
    organisation: Text
    role: Text
    email: EmailStr
    territory_ids: Annotated[list[str], Field(min_length=1, max_length=200)]


def contact_view(row: asyncpg.Record) -> dict[str, Any]:
    """A partner contact as the API shows it."""
    return {
        "contact_id": row["contact_id"],
        "name": row["name"],
        "organisation": row["organisation"],
        "role": row["role"],
        "email": row["email"],
        "territory_ids": row["territory_ids"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _readable(principal: Principal) -> None:
    if not may_read_partner_contacts(principal):
        raise ApiError(403, "forbidden", f"the {principal.role} role may not read partner contacts")


def _visible(principal: Principal, rt: AlertsRuntime, row: asyncpg.Record) -> bool:
    return may_see_partner_contact(
        principal, territory_ids=row["territory_ids"], ancestors=rt.evaluator.index.ancestors_of
    )


@router.put("/{contact_id}", responses=CREATED)
async def put_partner_contact(
    contact_id: ContactId,
    body: PartnerContactBody,
    principal: Admin,
    rt: Runtime,
    response: Response,
) -> dict[str, Any]:
    """Create or replace a partner contact (admins)."""
    unknown_territories(rt, body.territory_ids)
    async with rt.pool.acquire() as conn, conn.transaction():
        created = await directory.upsert_partner_contact(
            conn, contact_id, **body.model_dump(exclude={"email"}), email=str(body.email)
        )
        row = (await directory.partner_contacts(conn, contact_id))[0]
        details = {"organisation": body.organisation, "territory_ids": body.territory_ids}
        await audit.record(
            conn,
            actor=principal,
            action="partner_contacts.put",
            target=contact_id,
            details=details,
        )
    response.status_code = 201 if created else 200
    return contact_view(row)


@router.get("")
async def list_partner_contacts(
    principal: CurrentPrincipal, rt: Runtime, territory_id: str | None = None
) -> dict[str, Any]:
    """The partner contacts the caller may see; `territory_id`: those of it and of the
    territories containing it (whom a signalement on it goes to by default)."""
    _readable(principal)
    around = rt.evaluator.index.ancestors_of(territory_id) if territory_id else None
    async with rt.pool.acquire() as conn:
        rows = await directory.partner_contacts(conn, naming_any_of=around)
    return {"partner_contacts": [contact_view(r) for r in rows if _visible(principal, rt, r)]}


@router.get("/{contact_id}")
async def get_partner_contact(
    contact_id: ContactId, principal: CurrentPrincipal, rt: Runtime
) -> dict[str, Any]:
    """One partner contact."""
    _readable(principal)
    async with rt.pool.acquire() as conn:
        rows = await directory.partner_contacts(conn, contact_id)
    if not rows or not _visible(principal, rt, rows[0]):
        raise ApiError(404, "not_found", f"no partner contact {contact_id}")
    return contact_view(rows[0])


@router.delete("/{contact_id}", status_code=204)
async def delete_partner_contact(contact_id: ContactId, principal: Admin, rt: Runtime) -> Response:
    """Delete a partner contact (admins); signalements already sent keep their copy."""
    async with rt.pool.acquire() as conn, conn.transaction():
        if not await directory.delete_partner_contact(conn, contact_id):
            raise ApiError(404, "not_found", f"no partner contact {contact_id}")
        await audit.record(
            conn, actor=principal, action="partner_contacts.delete", target=contact_id
        )
    return Response(status_code=204)
