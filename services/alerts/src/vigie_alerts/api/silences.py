"""`/v1/silences` (admin): no notification for a territory (with the territories below it)
and/or a rule for a while; alerts still change, are recorded and published. When the silence
ends, each subscription gets one notification summarising what it held back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Path, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from vigie.platform import audit
from vigie.platform.api import CREATED, ApiError
from vigie_alerts import repository
from vigie_alerts.api.deps import Admin, Runtime
from vigie_alerts.rules import RULE_ID_PATTERN

router = APIRouter(prefix="/v1/silences", tags=["silences"])
SilenceId = Annotated[str, Path(pattern=RULE_ID_PATTERN, description="letters, digits, . _ -")]


class SilenceBody(BaseModel):
    """What is silenced, when (`starts_at` defaults to now), who asked and why."""

    model_config = ConfigDict(extra="forbid")
    territory_id: str | None = None
    rule_id: str | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime
    created_by: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    reason: Annotated[str, Field(min_length=1, max_length=2000)]

    @model_validator(mode="after")
    def _names_something(self) -> SilenceBody:
        if self.territory_id is None and self.rule_id is None:
            raise ValueError(
                "name a territory_id, a rule_id or both (a silence of everything "
                "would hide every alert)"
            )
        return self


def silence_view(row: asyncpg.Record, now: datetime) -> dict[str, Any]:
    """A silence, whether it is in force, and how many notifications it held back."""
    return {
        "silence_id": row["silence_id"],
        "territory_id": row["territory_id"],
        "rule_id": row["rule_id"],
        "starts_at": row["starts_at"],
        "ends_at": row["ends_at"],
        "created_by": row["created_by"],
        "reason": row["reason"],
        "active": row["starts_at"] <= now < row["ends_at"],
        "suppressed": row["suppressed"],
        "summarised_at": row["summarised_at"],
    }


@router.put("/{silence_id}", responses=CREATED)
async def put_silence(
    silence_id: SilenceId, body: SilenceBody, principal: Admin, rt: Runtime, response: Response
) -> dict[str, Any]:
    """Create or replace a silence."""
    now = rt.clock()
    starts_at = body.starts_at or now
    if body.ends_at <= starts_at:
        raise ApiError(
            422,
            "invalid",
            "the request is invalid",
            errors=[{"field": "ends_at", "message": "must be after starts_at (default: now)"}],
        )
    if body.territory_id is not None and body.territory_id not in rt.evaluator.index.territories:
        raise ApiError(
            422,
            "invalid",
            "the request is invalid",
            errors=[
                {"field": "territory_id", "message": f"unknown territory: {body.territory_id}"}
            ],
        )
    async with rt.pool.acquire() as conn, conn.transaction():
        created = await repository.upsert_silence(
            conn,
            silence_id,
            territory_id=body.territory_id,
            rule_id=body.rule_id,
            starts_at=starts_at,
            ends_at=body.ends_at,
            created_by=body.created_by or principal.name or principal.key_id,
            reason=body.reason,
        )
        row = (await repository.silences(conn, silence_id))[0]
        await audit.record(
            conn,
            actor=principal,
            action="silences.put",
            target=silence_id,
            details=body.model_dump(mode="json"),
        )
    response.status_code = 201 if created else 200
    return silence_view(row, now)


@router.get("")
async def list_silences(principal: Admin, rt: Runtime) -> dict[str, Any]:
    """Every silence, latest first."""
    async with rt.pool.acquire() as conn:
        rows = await repository.silences(conn)
    now = rt.clock()
    return {"silences": [silence_view(row, now) for row in rows]}


@router.get("/{silence_id}")
async def get_silence(silence_id: SilenceId, principal: Admin, rt: Runtime) -> dict[str, Any]:
    """One silence."""
    async with rt.pool.acquire() as conn:
        rows = await repository.silences(conn, silence_id)
    if not rows:
        raise ApiError(404, "not_found", f"no silence {silence_id}")
    return silence_view(rows[0], rt.clock())


@router.delete("/{silence_id}", status_code=204)
async def delete_silence(silence_id: SilenceId, principal: Admin, rt: Runtime) -> Response:
    """Delete a silence (what it held back stays held back, without a summary)."""
    async with rt.pool.acquire() as conn, conn.transaction():
        if not await repository.delete_silence(conn, silence_id):
            raise ApiError(404, "not_found", f"no silence {silence_id}")
        await audit.record(conn, actor=principal, action="silences.delete", target=silence_id)
    return Response(status_code=204)
