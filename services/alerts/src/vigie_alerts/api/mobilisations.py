"""`/v1/alerts/{id}/mobilisations`: signalements to the territory's CLSPD partners and their
follow-up (docs/contract.md §7). Managers with access to the alert, and admins, send and follow
them; the acknowledgement links are in api/receipts.py."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from vigie.platform.api import ApiError
from vigie.platform.auth import Principal
from vigie_alerts import directory, repository
from vigie_alerts.access import may_act, may_read
from vigie_alerts.api.deps import Bounds, Manager, Runtime
from vigie_alerts.delivery.repository import Conn
from vigie_alerts.directory_access import may_see_partner_contact
from vigie_alerts.mobilisations import follow_up
from vigie_alerts.mobilisations import repository as store
from vigie_alerts.mobilisations.report import RETRY_AFTER_S, ReportUnavailable, fetch_report
from vigie_alerts.mobilisations.states import ManagerState
from vigie_alerts.runtime import AlertsRuntime

router = APIRouter(prefix="/v1/alerts", tags=["mobilisations"])
Note = Annotated[str, Field(min_length=1, max_length=2000)]


class MobilisationBody(BaseModel):
    """A signalement: the sender's note, and whom (None: every partner contact of the alert's
    territory and of the territories containing it)."""

    model_config = ConfigDict(extra="forbid")
    note: Note
    contact_ids: Annotated[list[str], Field(min_length=1, max_length=100)] | None = None


class StepBody(BaseModel):
    """A step of the follow-up a manager records."""

    model_config = ConfigDict(extra="forbid")
    state: ManagerState
    note: Annotated[str, Field(max_length=2000)] | None = None


def _sender(principal: Principal) -> str:
    return principal.name or principal.key_id


async def _contacts(
    conn: Conn, rt: AlertsRuntime, principal: Principal, alert: asyncpg.Record, body: Any
) -> list[asyncpg.Record]:
    ancestors = rt.evaluator.index.ancestors_of
    if body.contact_ids is None:
        rows = await directory.partner_contacts(
            conn, naming_any_of=ancestors(alert["territory_id"])
        )
        if not rows:
            raise ApiError(
                422,
                "invalid",
                f"no partner contact for {alert['territory_id']} or the territories containing "
                "it: an admin adds them with PUT /v1/partner-contacts/{id}",
            )
        return rows
    rows = []
    for contact_id in dict.fromkeys(body.contact_ids):
        found = await directory.partner_contacts(conn, contact_id)
        if not found or not may_see_partner_contact(
            principal, territory_ids=found[0]["territory_ids"], ancestors=ancestors
        ):
            raise ApiError(
                422,
                "invalid",
                "the request is invalid",
                errors=[{"field": "contact_ids", "message": f"no partner contact {contact_id}"}],
            )
        rows.append(found[0])
    return rows


@router.post("/{alert_id}/mobilisations", status_code=201)
async def mobilise(
    alert_id: UUID,
    body: MobilisationBody,
    principal: Manager,
    bounds: Bounds,
    rt: Runtime,
    request: Request,
) -> dict[str, Any]:
    """Send a signalement: each contact gets a French e-mail with the territory's situation
    report attached (fetched now from reporting with the caller's key), the note and a personal
    acknowledgement link. 503 with Retry-After when reporting cannot give the report."""
    async with rt.pool.acquire() as conn:
        alert = await _visible(conn, alert_id, principal, bounds, rt)
        contacts = await _contacts(conn, rt, principal, alert, body)
    try:
        pdf = await fetch_report(
            rt.reporting_url,
            alert["territory_id"],
            authorization=request.headers.get("authorization", ""),
            timeout_s=rt.reporting_timeout_s,
        )
    except ReportUnavailable as exc:
        headers = {"Retry-After": str(RETRY_AFTER_S)} if exc.status == 503 else None
        code = "unavailable" if exc.status == 503 else "forbidden"
        raise ApiError(exc.status, code, exc.detail, headers=headers) from None
    receipt_base = rt.public_url or str(request.base_url)
    async with rt.pool.acquire() as conn:
        async with conn.transaction():
            locked = await repository.alert_for_update(conn, alert_id)
            if locked is None:
                raise ApiError(404, "not_found", f"no alert {alert_id}")
            mobilisation_id = await follow_up.create(
                conn,
                locked,
                contacts,
                note=body.note,
                by=_sender(principal),
                report_pdf=pdf,
                receipt_base=receipt_base,
                step=_step(rt, principal),
            )
        views = await _views(conn, alert_id, mobilisation_id)
    rt.changed()
    return views[0]


@router.get("/{alert_id}/mobilisations")
async def list_mobilisations(
    alert_id: UUID, principal: Manager, bounds: Bounds, rt: Runtime
) -> dict[str, Any]:
    """The alert's signalements, oldest first, with their recipients and follow-up."""
    async with rt.pool.acquire() as conn:
        await _visible(conn, alert_id, principal, bounds, rt)
        return {"mobilisations": await _views(conn, alert_id)}


@router.get("/{alert_id}/mobilisations/{mobilisation_id}")
async def get_mobilisation(
    alert_id: UUID, mobilisation_id: UUID, principal: Manager, bounds: Bounds, rt: Runtime
) -> dict[str, Any]:
    """One signalement with its recipients and follow-up."""
    async with rt.pool.acquire() as conn:
        await _visible(conn, alert_id, principal, bounds, rt)
        views = await _views(conn, alert_id, mobilisation_id)
    if not views:
        raise ApiError(404, "not_found", f"no mobilisation {mobilisation_id}")
    return views[0]


@router.post("/{alert_id}/mobilisations/{mobilisation_id}/events", status_code=201)
async def record_step(
    alert_id: UUID,
    mobilisation_id: UUID,
    body: StepBody,
    principal: Manager,
    bounds: Bounds,
    rt: Runtime,
) -> dict[str, Any]:
    """Record taken_up, action_under_way or closed (forward only; 409 otherwise)."""
    async with rt.pool.acquire() as conn:
        await _visible(conn, alert_id, principal, bounds, rt)
        async with conn.transaction():
            try:
                done = await follow_up.advance(
                    conn,
                    alert_id,
                    mobilisation_id,
                    state=body.state,
                    by=_sender(principal),
                    note=body.note,
                    step=_step(rt, principal),
                )
            except follow_up.FollowUpConflict as exc:
                raise ApiError(409, "conflict", str(exc)) from None
        if done is None:
            raise ApiError(404, "not_found", f"no mobilisation {mobilisation_id}")
        views = await _views(conn, alert_id, mobilisation_id)
    rt.changed()
    return views[0]


def _step(rt: AlertsRuntime, principal: Principal) -> follow_up.Step:
    return follow_up.Step(principal, rt.evaluator.index, rt.dashboard_url, rt.clock())


async def _visible(
    conn: Conn, alert_id: UUID, principal: Principal, bounds: Any, rt: AlertsRuntime
) -> asyncpg.Record:
    """The alert if the caller may mobilise on it: 404 when it cannot read it, 403 when it reads
    it but may not act (a landlord key)."""
    row = await repository.get_alert(conn, alert_id)
    if row is None or not may_read(
        bounds, dict(row), rt.evaluator.index.ancestors_of(row["territory_id"])
    ):
        raise ApiError(404, "not_found", f"no alert {alert_id}")
    if not may_act(principal):
        raise ApiError(403, "forbidden", f"the {principal.role} role may not mobilise partners")
    return row


async def _views(
    conn: Conn, alert_id: UUID, mobilisation_id: UUID | None = None
) -> list[dict[str, Any]]:
    rows = await store.of_alert(conn, alert_id, mobilisation_id)
    ids = [row["mobilisation_id"] for row in rows]
    recipients: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
    for r in await store.recipients(conn, ids):
        recipients[r["mobilisation_id"]].append(
            {k: r[k] for k in ("contact_id", "name", "organisation", "email", "received_at")}
        )
    events: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
    for e in await store.events(conn, ids):
        events[e["mobilisation_id"]].append(
            {k: e[k] for k in ("state", "at", "actor", "contact_id", "note")}
        )
    return [
        {
            "mobilisation_id": str(row["mobilisation_id"]),
            "alert_id": str(row["alert_id"]),
            "territory_id": row["territory_id"],
            "state": row["state"],
            "note": row["note"],
            "created_by": row["created_by"],
            "created_at": row["created_at"],
            "report_bytes": row["report_bytes"],
            "recipients": recipients[row["mobilisation_id"]],
            "events": events[row["mobilisation_id"]],
        }
        for row in rows
    ]
