"""`/v1/alerts`: the alerts, their history, acknowledgement, resolution and the live stream
(docs/contract.md §7), each bounded by what the caller's key may see (vigie_alerts.access)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from vigie.platform.api import ApiError, CurrentPrincipal
from vigie_alerts import actions, repository
from vigie_alerts.access import AlertFilter, may_act, may_read
from vigie_alerts.api.deps import Bounds, Runtime
from vigie_alerts.rules import Level, Selector
from vigie_alerts.runtime import AlertsRuntime

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])

State = Literal["open", "acknowledged", "resolved"]


class Acknowledgement(BaseModel):
    """Who acknowledges or resolves, and why."""

    model_config = ConfigDict(extra="forbid")
    by: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    note: Annotated[str, Field(max_length=2000)] | None = None


def alert_view(row: asyncpg.Record) -> dict[str, Any]:
    """An alert as the API shows it."""
    return {
        "alert_id": str(row["alert_id"]),
        "rule_id": row["rule_id"],
        "rule_name": row["rule_name"],
        "territory_id": row["territory_id"],
        "landlord_id": row["landlord_id"],
        "state": row["state"],
        "level": row["level"],
        "value": row["value"],
        "count": row["count"],
        "threshold": row["threshold"],
        "window_days": row["window_days"],
        "opened_at": row["opened_at"],
        "changed_at": row["changed_at"],
        "resolved_at": row["resolved_at"],
        "acknowledged_at": row["acknowledged_at"],
        "acknowledged_by": row["acknowledged_by"],
        "escalated_at": row["escalated_at"],
        "categories": _categories(row["rule_selector"]),
    }


@lru_cache(maxsize=256)
def _categories(selector: str | None) -> tuple[str, ...] | None:
    """The category codes a rule's stored selector counts (None: every category, or the rule
    is gone); a list of 200 alerts shares a few rules, hence the cache."""
    if selector is None:
        return None
    codes = Selector.model_validate_json(selector).category_codes()
    return tuple(codes) if codes is not None else None


@router.get("")
async def list_alerts(
    bounds: Bounds,
    rt: Runtime,
    state: State | None = None,
    territory_id: str | None = None,
    level: Level | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """Alerts, newest change first; `territory_id` includes the territories below it."""
    async with rt.pool.acquire() as conn:
        rows = await repository.list_alerts(
            conn,
            state=state,
            territory_id=territory_id,
            level=level,
            within=sorted(bounds.within) if bounds.within is not None else None,
            landlord_id=bounds.landlord_id,
            limit=limit,
        )
    return {"alerts": [alert_view(row) for row in rows]}


class EventStream(StreamingResponse):
    """Server-Sent Events, as the OpenAPI document says."""

    media_type = "text/event-stream"


@router.get("/stream", response_class=EventStream)
async def stream(bounds: Bounds, rt: Runtime) -> StreamingResponse:
    """Server-Sent Events: one `alert` event per change the caller may see."""
    ancestors = rt.evaluator.index.ancestors_of
    return StreamingResponse(
        rt.stream.events(
            lambda change: may_read(bounds, change, ancestors(change["territory_id"]))
        ),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/{alert_id}")
async def get_alert(alert_id: UUID, bounds: Bounds, rt: Runtime) -> dict[str, Any]:
    """One alert with its history."""
    async with rt.pool.acquire() as conn:
        row = await _visible(conn, alert_id, bounds, rt)
        changes = await repository.history(conn, alert_id)
    return {**alert_view(row), "history": [dict(change) for change in changes]}


@router.post("/{alert_id}/ack")
async def acknowledge(
    alert_id: UUID, body: Acknowledgement, principal: CurrentPrincipal, bounds: Bounds, rt: Runtime
) -> dict[str, Any]:
    """Acknowledge an open alert: someone is on it (escalation to the next tier stops)."""
    return await _act(alert_id, body, principal, bounds, rt, action=actions.acknowledge)


@router.post("/{alert_id}/resolve")
async def resolve(
    alert_id: UUID,
    principal: CurrentPrincipal,
    bounds: Bounds,
    rt: Runtime,
    body: Acknowledgement | None = None,
) -> dict[str, Any]:
    """Resolve an alert by hand (if the value is still above a level, a new alert opens)."""
    return await _act(
        alert_id, body or Acknowledgement(), principal, bounds, rt, action=actions.resolve
    )


async def _act(
    alert_id: UUID,
    body: Acknowledgement,
    principal: Any,
    bounds: AlertFilter,
    rt: AlertsRuntime,
    *,
    action: Any,
) -> dict[str, Any]:
    if not may_act(principal):
        raise ApiError(403, "forbidden", f"the {principal.role} role may not change alerts")
    async with rt.pool.acquire() as conn:
        async with conn.transaction():
            await _visible(conn, alert_id, bounds, rt)
            try:
                await action(
                    conn,
                    alert_id,
                    by=body.by or principal.name or principal.key_id,
                    note=body.note,
                    index=rt.evaluator.index,
                    dashboard_url=rt.dashboard_url,
                    now=rt.clock(),
                )
            except actions.AlertConflict as exc:
                raise ApiError(409, "conflict", str(exc)) from None
        row = await repository.get_alert(conn, alert_id)
    rt.changed()
    assert row is not None  # it was just changed
    return alert_view(row)


async def _visible(
    conn: Any, alert_id: UUID, bounds: AlertFilter, rt: AlertsRuntime
) -> asyncpg.Record:
    row = await repository.get_alert(conn, alert_id)
    if row is None or not may_read(
        bounds, dict(row), rt.evaluator.index.ancestors_of(row["territory_id"])
    ):
        raise ApiError(404, "not_found", f"no alert {alert_id}")
    return row
