"""`/v1/rules`: GSUP vigilance rules (docs/contract.md §7). Admins write; admins and managers
read every rule, landlords the rules scoped to them and the shared ones."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Path, Response

from vigie.platform import audit
from vigie.platform.api import CREATED, ApiError, CurrentPrincipal
from vigie_alerts import actions, repository
from vigie_alerts.api.deps import Admin, Runtime
from vigie_alerts.delivery.repository import Conn
from vigie_alerts.evaluator import scope_of
from vigie_alerts.rules import RULE_ID_PATTERN, Rule
from vigie_alerts.runtime import AlertsRuntime

router = APIRouter(prefix="/v1/rules", tags=["rules"])
RuleId = Annotated[str, Path(pattern=RULE_ID_PATTERN, description="letters, digits, . _ -")]


def rule_view(row: asyncpg.Record) -> dict[str, Any]:
    """A stored rule with what its last full evaluation found."""
    rule = Rule.model_validate_json(row["body"])
    status = None
    if row["evaluated_at"] is not None:
        status = {
            "evaluated_at": row["evaluated_at"],
            "territories_evaluated": row["evaluated"],
            "skipped": list(row["skipped"]),
            "skipped_reason": "no social dwellings figure" if row["skipped"] else None,
        }
    return {
        "rule_id": row["rule_id"],
        **rule.model_dump(mode="json"),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "status": status,
    }


@router.put("/{rule_id}", status_code=200, responses=CREATED)
async def put_rule(
    rule_id: RuleId, rule: Rule, principal: Admin, rt: Runtime, response: Response
) -> dict[str, Any]:
    """Create or replace a rule; it is evaluated at once."""
    index = rt.evaluator.index
    unknown = [t for t in rule.scope.territory_ids or () if t not in index.territories]
    if unknown:
        raise ApiError(
            422,
            "invalid",
            "the request is invalid",
            errors=[
                {
                    "field": "scope.territory_ids",
                    "message": f"unknown territory: {', '.join(unknown)}",
                }
            ],
        )
    async with rt.pool.acquire() as conn, conn.transaction():
        created = await repository.upsert_rule(conn, rule_id, rule.model_dump_json())
        await _resolve_out_of_scope(
            conn, rule_id, rule, by=principal.name or principal.key_id, rt=rt
        )
        row = (await repository.rules(conn, rule_id))[0]
        await audit.record(
            conn,
            actor=principal,
            action="rules.put",
            target=rule_id,
            details=rule.model_dump(mode="json"),
        )
    response.status_code = 201 if created else 200
    rt.changed()
    rt.rules_changed()
    return rule_view(row)


async def _resolve_out_of_scope(
    conn: Conn, rule_id: str, rule: Rule, *, by: str, rt: AlertsRuntime
) -> None:
    """A disabled rule, or one whose scope shrank, leaves no alert behind."""
    in_scope = set(scope_of(rule, rt.evaluator.index)) if rule.enabled else set()
    for row in await repository.live_alerts(conn, rule_id, None):
        if row["territory_id"] not in in_scope:
            await actions.resolve(
                conn,
                row["alert_id"],
                by=by,
                note="règle désactivée" if not rule.enabled else "hors du périmètre de la règle",
                index=rt.evaluator.index,
                dashboard_url=rt.dashboard_url,
                now=rt.clock(),
            )


@router.get("")
async def list_rules(principal: CurrentPrincipal, rt: Runtime) -> dict[str, Any]:
    """Every rule the caller may read."""
    _may_read_rules(principal.role)
    async with rt.pool.acquire() as conn:
        rows = await repository.rules(conn)
    views = [rule_view(row) for row in rows]
    if principal.role == "landlord":
        views = [v for v in views if v["scope"]["landlord_id"] in (None, principal.landlord_id)]
    return {"rules": views}


@router.get("/{rule_id}")
async def get_rule(rule_id: RuleId, principal: CurrentPrincipal, rt: Runtime) -> dict[str, Any]:
    """One rule with its status: territories evaluated and skipped at the last sweep."""
    _may_read_rules(principal.role)
    async with rt.pool.acquire() as conn:
        rows = await repository.rules(conn, rule_id)
    if not rows:
        raise ApiError(404, "not_found", f"no rule {rule_id}")
    view = rule_view(rows[0])
    if principal.role == "landlord" and view["scope"]["landlord_id"] not in (
        None,
        principal.landlord_id,
    ):
        raise ApiError(404, "not_found", f"no rule {rule_id}")
    return view


@router.delete("/{rule_id}", status_code=204)
async def delete_rule(rule_id: RuleId, principal: Admin, rt: Runtime) -> Response:
    """Delete a rule; its live alerts are resolved (and notified as such)."""
    async with rt.pool.acquire() as conn, conn.transaction():
        await actions.resolve_rule_alerts(
            conn,
            rule_id,
            by=principal.name or principal.key_id,
            reason="règle supprimée",
            index=rt.evaluator.index,
            dashboard_url=rt.dashboard_url,
            now=rt.clock(),
        )
        if not await repository.delete_rule(conn, rule_id):
            raise ApiError(404, "not_found", f"no rule {rule_id}")
        await audit.record(conn, actor=principal, action="rules.delete", target=rule_id)
    rt.changed()
    return Response(status_code=204)


def _may_read_rules(role: str) -> None:
    if role == "partner":
        raise ApiError(403, "forbidden", "the partner role may not read rules")
