"""`/v1/subscriptions`: webhooks and e-mail addresses of on-call managers (docs/contract.md
§7), with their delivery state. Admins manage all; a manager manages its own, within its
territories and landlord. The secret is write-only."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Path, Response
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, EmailStr, Field, model_validator

from vigie.platform import audit
from vigie.platform.api import CREATED, ApiError
from vigie.platform.auth import Principal
from vigie_alerts import repository
from vigie_alerts.access import subscription_within
from vigie_alerts.api.deps import Manager, Runtime
from vigie_alerts.delivery import subscription_state
from vigie_alerts.rules import RULE_ID_PATTERN, Level

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])
SubscriptionId = Annotated[str, Path(pattern=RULE_ID_PATTERN, description="letters, digits, . _ -")]


class SubscriptionBody(BaseModel):
    """A webhook (`url` + `secret`) and/or an e-mail address, and what it receives."""

    model_config = ConfigDict(extra="forbid")
    url: AnyHttpUrl | None = None
    secret: Annotated[str, Field(min_length=16, max_length=200)] | None = None
    email: EmailStr | None = None
    min_level: Level = "vigilance"
    territory_ids: Annotated[list[str], Field(min_length=1)] | None = None
    landlord_id: str | None = None
    escalation: bool = False

    @model_validator(mode="after")
    def _a_channel(self) -> SubscriptionBody:
        if self.url is None and self.email is None:
            raise ValueError("give a url (webhook), an email, or both")
        if self.url is not None and self.secret is None:
            raise ValueError("a webhook needs a secret (at least 16 characters) to sign with")
        return self


async def subscription_view(conn: Any, row: asyncpg.Record) -> dict[str, Any]:
    """A subscription without its secret, with its delivery state."""
    return {
        "subscription_id": row["subscription_id"],
        "url": row["url"],
        "has_secret": row["secret"] is not None,
        "email": row["email"],
        "min_level": row["min_level"],
        "territory_ids": row["territory_ids"],
        "landlord_id": row["landlord_id"],
        "escalation": row["escalation"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "delivery": dict(await subscription_state(conn, row["subscription_id"])),
    }


@router.put("/{subscription_id}", responses=CREATED)
async def put_subscription(
    subscription_id: SubscriptionId,
    body: SubscriptionBody,
    principal: Manager,
    rt: Runtime,
    response: Response,
) -> dict[str, Any]:
    """Create or replace a subscription."""
    index = rt.evaluator.index
    unknown = [t for t in body.territory_ids or () if t not in index.territories]
    if unknown:
        raise ApiError(
            422,
            "invalid",
            "the request is invalid",
            errors=[
                {"field": "territory_ids", "message": f"unknown territory: {', '.join(unknown)}"}
            ],
        )
    refusal = subscription_within(
        principal,
        territory_ids=body.territory_ids,
        landlord_id=body.landlord_id,
        ancestors=index.ancestors,
    )
    if refusal:
        raise ApiError(403, "forbidden", refusal)
    async with rt.pool.acquire() as conn, conn.transaction():
        existing = await repository.subscriptions(conn, subscription_id)
        if existing:
            _owned(principal, existing[0])
        created = await repository.upsert_subscription(
            conn,
            subscription_id,
            url=str(body.url) if body.url else None,
            secret=body.secret,
            email=body.email,
            min_level=body.min_level,
            territory_ids=body.territory_ids,
            landlord_id=body.landlord_id,
            escalation=body.escalation,
            owner_key_id=principal.key_id,
        )
        row = (await repository.subscriptions(conn, subscription_id))[0]
        view = await subscription_view(conn, row)
        # The secret is never logged.
        await audit.record(
            conn,
            actor=principal,
            action="subscriptions.put",
            target=subscription_id,
            details=body.model_dump(mode="json", exclude={"secret"}),
        )
    response.status_code = 201 if created else 200
    return view


@router.get("")
async def list_subscriptions(principal: Manager, rt: Runtime) -> dict[str, Any]:
    """The caller's subscriptions (an admin's: all)."""
    async with rt.pool.acquire() as conn:
        rows = [row for row in await repository.subscriptions(conn) if _mine(principal, row)]
        return {"subscriptions": [await subscription_view(conn, row) for row in rows]}


@router.get("/{subscription_id}")
async def get_subscription(
    subscription_id: SubscriptionId, principal: Manager, rt: Runtime
) -> dict[str, Any]:
    """One subscription with its delivery state: last success, last error, pending."""
    async with rt.pool.acquire() as conn:
        rows = await repository.subscriptions(conn, subscription_id)
        if not rows or not _mine(principal, rows[0]):
            raise ApiError(404, "not_found", f"no subscription {subscription_id}")
        return await subscription_view(conn, rows[0])


@router.delete("/{subscription_id}", status_code=204)
async def delete_subscription(
    subscription_id: SubscriptionId, principal: Manager, rt: Runtime
) -> Response:
    """Delete a subscription and its pending notifications."""
    async with rt.pool.acquire() as conn, conn.transaction():
        rows = await repository.subscriptions(conn, subscription_id)
        if not rows or not _mine(principal, rows[0]):
            raise ApiError(404, "not_found", f"no subscription {subscription_id}")
        await repository.delete_subscription(conn, subscription_id)
        await audit.record(
            conn, actor=principal, action="subscriptions.delete", target=subscription_id
        )
    return Response(status_code=204)


def _mine(principal: Principal, row: asyncpg.Record) -> bool:
    return principal.is_admin or row["owner_key_id"] == principal.key_id


def _owned(principal: Principal, row: asyncpg.Record) -> None:
    if not _mine(principal, row):
        raise ApiError(403, "forbidden", "this subscription belongs to another key")
