"""Alert changes that are not a new reading: acknowledging, resolving by hand, telling the
escalation tier, resolving a withdrawn rule's alerts, and summarising what a silence held back.
Each runs inside the caller's transaction and records its change like an evaluated one."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from vigie_alerts import repository
from vigie_alerts.changes import ChangeContext, record_change
from vigie_alerts.delivery.repository import Conn
from vigie_alerts.rules import Rule
from vigie_alerts.territories import TerritoryIndex


class AlertConflict(Exception):
    """The alert is not in a state that allows this."""


async def rule_of(conn: Conn, rule_id: str) -> Rule | None:
    """A stored rule, or None once deleted."""
    rows = await repository.rules(conn, rule_id)
    return Rule.model_validate_json(rows[0]["body"]) if rows else None


async def _context(
    conn: Conn, alert: asyncpg.Record, index: TerritoryIndex, **kw: Any
) -> ChangeContext:
    return ChangeContext(
        await rule_of(conn, alert["rule_id"]), index, kw["dashboard_url"], kw["now"]
    )


async def acknowledge(
    conn: Conn,
    alert_id: UUID,
    *,
    by: str,
    note: str | None,
    index: TerritoryIndex,
    dashboard_url: str,
    now: datetime,
) -> dict[str, Any] | None:
    """Acknowledge an open alert (None: no such alert); AlertConflict once resolved."""
    row = await repository.alert_for_update(conn, alert_id)
    if row is None:
        return None
    if row["state"] == "resolved":
        raise AlertConflict("the alert is resolved")
    if row["state"] == "acknowledged":
        raise AlertConflict(f"the alert was acknowledged by {row['acknowledged_by']}")
    return await _by_hand(
        conn,
        row,
        state="acknowledged",
        by=by,
        note=note,
        index=index,
        dashboard_url=dashboard_url,
        now=now,
    )


async def resolve(
    conn: Conn,
    alert_id: UUID,
    *,
    by: str,
    note: str | None,
    index: TerritoryIndex,
    dashboard_url: str,
    now: datetime,
) -> dict[str, Any] | None:
    """Resolve a live alert by hand (None: no such alert); AlertConflict when already resolved.
    If the value is still above a level, the next evaluation opens a new alert."""
    row = await repository.alert_for_update(conn, alert_id)
    if row is None:
        return None
    if row["state"] == "resolved":
        raise AlertConflict("the alert is already resolved")
    return await _by_hand(
        conn,
        row,
        state="resolved",
        by=by,
        note=note,
        index=index,
        dashboard_url=dashboard_url,
        now=now,
    )


async def _by_hand(
    conn: Conn,
    row: asyncpg.Record,
    *,
    state: str,
    by: str,
    note: str | None,
    index: TerritoryIndex,
    dashboard_url: str,
    now: datetime,
) -> dict[str, Any]:
    """Someone acknowledged or resolved the alert: recorded and notified, who and why."""
    alert = await _update(conn, row, state=state, now=now, actor=by)
    context = await _context(conn, alert, index, dashboard_url=dashboard_url, now=now)
    return await record_change(
        conn,
        alert,
        context,
        kind=state,
        previous_level=row["level"],
        notify=True,
        actor=by,
        note=note,
    )


async def escalate_to_tier(
    conn: Conn, alert_id: UUID, *, index: TerritoryIndex, dashboard_url: str, now: datetime
) -> bool:
    """Send a still unacknowledged alert to the escalation tier, once; False if no longer due."""
    row = await repository.alert_for_update(conn, alert_id)
    if row is None or row["state"] != "open" or row["escalated_at"] is not None:
        return False
    alert = await _update(conn, row, state="open", now=now, escalated=True)
    context = await _context(conn, alert, index, dashboard_url=dashboard_url, now=now)
    await record_change(
        conn,
        alert,
        context,
        kind="escalated_to_tier",
        previous_level=row["level"],
        notify=True,
        tier="escalation",
    )
    return True


async def resolve_rule_alerts(
    conn: Conn,
    rule_id: str,
    *,
    by: str,
    reason: str,
    index: TerritoryIndex,
    dashboard_url: str,
    now: datetime,
) -> int:
    """Resolve the live alerts of a rule being deleted or disabled; how many."""
    resolved = 0
    for row in await repository.live_alerts(conn, rule_id, None):
        if await resolve(
            conn,
            row["alert_id"],
            by=by,
            note=reason,
            index=index,
            dashboard_url=dashboard_url,
            now=now,
        ):
            resolved += 1
    return resolved


async def summarise_ended_silences(conn: Conn, *, now: datetime) -> int:
    """For each silence just over, one notification per subscription and channel listing what
    it held back; how many silences were summarised."""
    done = 0
    for silence in await repository.ended_silences(conn, now):
        for held in await repository.suppressed_by(conn, silence["silence_id"]):
            payload = {
                "kind": "silence_summary",
                "silence_id": silence["silence_id"],
                "territory_id": silence["territory_id"],
                "rule_id": silence["rule_id"],
                "starts_at": silence["starts_at"].isoformat(),
                "ends_at": silence["ends_at"].isoformat(),
                "reason": silence["reason"],
                "created_by": silence["created_by"],
                "suppressed": orjson.loads(held["payloads"]),
            }
            await repository.insert_delivery(
                conn,
                subscription_id=held["subscription_id"],
                channel=held["channel"],
                # One summary per period: a silence id reused later summarises its new period.
                dedup_key=f"silence:{silence['silence_id']}:{silence['ends_at'].isoformat()}",
                alert_id=None,
                payload=orjson.dumps(payload).decode(),
                silence_id=None,
                changed_at=silence["ends_at"],
            )
        await repository.mark_summarised(conn, silence["silence_id"], now)
        await repository.mark_held_back_summarised(conn, silence["silence_id"])
        done += 1
    return done


async def _update(
    conn: Conn,
    row: asyncpg.Record,
    *,
    state: str,
    now: datetime,
    actor: str | None = None,
    escalated: bool = False,
) -> asyncpg.Record:
    return await repository.update_alert(
        conn,
        row["alert_id"],
        state=state,
        level=row["level"],
        notified_level=row["notified_level"],
        value=row["value"],
        count=row["count"],
        threshold=row["threshold"],
        at=now,
        actor=actor,
        escalated=escalated,
    )
