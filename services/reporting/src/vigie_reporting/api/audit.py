"""`GET /v1/audit`: the append-only audit log of administrative actions, for admins only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from vigie.platform import audit
from vigie.platform.api import require_role
from vigie.platform.auth import Principal
from vigie_reporting.api.deps import Db

router = APIRouter()
AdminOnly = Annotated[Principal, Depends(require_role())]


@router.get("/audit")
async def audit_log(
    _: AdminOnly,
    db: Db,
    since: datetime | None = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    """Who did what and when, newest first; `action=keys` matches `keys.create`, `keys.revoke`…"""
    items = await audit.entries(db, since=since, action=action, actor=actor, limit=limit)
    return {"items": items, "count": len(items)}
