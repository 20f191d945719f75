"""Recording a signalement and each step of its follow-up, inside the caller's transaction:
the step in alert_mobilisation_events, a change of the alert (its history and an alerts.v1
message with a `mobilisation` object, no notification), an entry in the platform's audit log,
and at creation one e-mail per contact in the delivery outbox, each with its own
acknowledgement link."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import orjson

from vigie.platform import audit
from vigie.platform.auth import Principal
from vigie_alerts import actions, repository
from vigie_alerts.changes import ChangeContext, categories_of, record_change
from vigie_alerts.delivery.repository import Conn
from vigie_alerts.mobilisations import repository as store
from vigie_alerts.mobilisations.states import LABELS, after_receipt, refusal
from vigie_alerts.territories import TerritoryIndex

RECEIPT_PATH = "/mobilisations/receipt/"


class FollowUpConflict(Exception):
    """The follow-up cannot take this step (closed, backwards, link already used)."""


@dataclass(frozen=True)
class Step:
    """Who records a step (the caller's key, or `contact:<id>` for a receipt), where, when."""

    who: Principal | str
    index: TerritoryIndex
    dashboard_url: str
    now: datetime


def new_token() -> tuple[str, bytes]:
    """An acknowledgement link's token and the SHA-256 kept of it."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> bytes:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode()).digest()


async def create(
    conn: Conn,
    alert: asyncpg.Record,
    contacts: Sequence[asyncpg.Record],
    *,
    note: str,
    by: str,
    report_pdf: bytes,
    receipt_base: str,
    step: Step,
) -> UUID:
    """A signalement of this (locked) alert to these contacts; its id."""
    mobilisation_id = uuid4()
    await store.insert(
        conn,
        mobilisation_id,
        alert_id=alert["alert_id"],
        territory_id=alert["territory_id"],
        note=note,
        created_by=by,
        created_at=step.now,
        report_pdf=report_pdf,
    )
    rule = await actions.rule_of(conn, alert["rule_id"])
    facts = {
        "kind": "mobilisation",
        "mobilisation_id": str(mobilisation_id),
        "alert_id": str(alert["alert_id"]),
        "territory_id": alert["territory_id"],
        "territory_name": step.index.name(alert["territory_id"]),
        "rule_name": rule.name if rule else alert["rule_id"],
        "metric": rule.metric if rule else "count",
        "level": alert["level"],
        "state": alert["state"],
        "value": round(float(alert["value"]), 4),
        "threshold": round(float(alert["threshold"]), 4),
        "count": alert["count"],
        "window_days": alert["window_days"],
        "opened_at": alert["opened_at"].isoformat(),
        "categories": categories_of(rule),
        "note": note,
        "sent_by": by,
        "sent_at": step.now.isoformat(),
    }
    for contact in contacts:
        token, digest = new_token()
        await store.insert_recipient(conn, mobilisation_id, contact, token_sha256=digest)
        payload = {
            **facts,
            "contact_id": contact["contact_id"],
            "contact_name": contact["name"],
            "organisation": contact["organisation"],
            # Dropped from the outbox once sent (delivery_mark_delivered.sql).
            "receipt_url": receipt_base.rstrip("/") + RECEIPT_PATH + token,
        }
        await repository.insert_recipient_deliveries(
            conn,
            [contact["email"]],
            dedup_key=f"mobilisation:{mobilisation_id}:{contact['contact_id']}",
            alert_id=alert["alert_id"],
            payload=orjson.dumps(payload).decode(),
            changed_at=step.now,
        )
    recipients = ", ".join(sorted({c["organisation"] for c in contacts}))
    await _record(
        conn,
        alert,
        mobilisation_id,
        state="sent",
        new_state="sent",
        actor=by,
        note=note,
        step=step,
        detail={"recipients": len(contacts), "organisations": recipients},
    )
    return mobilisation_id


async def advance(
    conn: Conn,
    alert_id: UUID,
    mobilisation_id: UUID,
    *,
    state: str,
    by: str,
    note: str | None,
    step: Step,
) -> dict[str, Any] | None:
    """A manager's step (taken_up, action_under_way, closed); None: no such signalement of
    this alert; FollowUpConflict when the follow-up cannot take it."""
    alert = await repository.alert_for_update(conn, alert_id)
    mobilisation = await store.for_update(conn, mobilisation_id)
    if alert is None or mobilisation is None or mobilisation["alert_id"] != alert_id:
        return None
    if reason := refusal(mobilisation["state"], state):
        raise FollowUpConflict(reason)
    return await _record(
        conn, alert, mobilisation_id, state=state, new_state=state, actor=by, note=note, step=step
    )


async def acknowledge_receipt(conn: Conn, token: str, *, step: Step) -> asyncpg.Record | None:
    """A contact's link used: recorded once (None: unknown link); FollowUpConflict when it was
    already used. The recipient's row, as it was before."""
    found = await store.by_token(conn, token_hash(token))
    if found is None:
        return None
    step = replace(step, who=f"contact:{found['contact_id']}")
    alert = await repository.alert_for_update(conn, found["alert_id"])
    mobilisation = await store.for_update(conn, found["mobilisation_id"])
    # The recipient's row cascades from both: they exist.
    assert alert is not None
    assert mobilisation is not None
    if not await store.record_receipt(
        conn, found["mobilisation_id"], found["contact_id"], step.now
    ):
        raise FollowUpConflict("this acknowledgement link was already used")
    await _record(
        conn,
        alert,
        found["mobilisation_id"],
        state="received",
        new_state=after_receipt(mobilisation["state"]),
        actor=f"{found['organisation']} ({found['contact_id']})",
        contact_id=found["contact_id"],
        note=None,
        step=step,
    )
    return found


async def _record(
    conn: Conn,
    alert: asyncpg.Record,
    mobilisation_id: UUID,
    *,
    state: str,
    new_state: str,
    actor: str,
    note: str | None,
    step: Step,
    contact_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The step in the follow-up, the alert's history, alerts.v1 and the audit log; the
    alerts.v1 payload."""
    await store.insert_event(
        conn,
        mobilisation_id,
        state=state,
        new_state=new_state,
        at=step.now,
        actor=actor,
        contact_id=contact_id,
        note=note,
    )
    await audit.record(
        conn,
        actor=step.who,
        action=f"mobilisations.{state}",
        target=str(mobilisation_id),
        details={
            "alert_id": str(alert["alert_id"]),
            "territory_id": alert["territory_id"],
            "state": new_state,
            "contact_id": contact_id,
            "note": note,
            **(detail or {}),
        },
    )
    bumped = await store.bump_alert(conn, alert["alert_id"])
    rule = await actions.rule_of(conn, alert["rule_id"])
    context = ChangeContext(rule, step.index, step.dashboard_url, step.now)
    mobilisation = {
        "mobilisation_id": str(mobilisation_id),
        "step": state,
        "label": LABELS[state],
        "state": new_state,
        "at": step.now.isoformat(timespec="milliseconds"),
        "actor": actor,
        "contact_id": contact_id,
        "note": note,
        **(detail or {}),
    }
    return await record_change(
        conn,
        bumped,
        context,
        kind=f"mobilisation_{state}",
        previous_level=None,
        notify=False,
        actor=actor,
        note=note,
        extra={"mobilisation": mobilisation},
    )
