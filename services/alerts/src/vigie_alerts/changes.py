"""Recording an alert change, inside the transaction that made it: a row in the alert's history,
a message for alerts.v1 and the notifications of every matching subscription (held back when a
silence covers the alert) and of the concerned landlords' referents in their outboxes. A crash
before the commit loses the change and its notifications together; after it, nothing is lost
and each is sent once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from vigie.contract.nomenclature import default_nomenclature
from vigie_alerts import directory, repository
from vigie_alerts.clock import paris_today
from vigie_alerts.delivery import dashboard_link
from vigie_alerts.delivery.repository import Conn
from vigie_alerts.payloads import Tier, change_payload
from vigie_alerts.routing import Silence, Subscription, active_silence, subscription_matches
from vigie_alerts.rules import Level, Rule
from vigie_alerts.territories import TerritoryIndex


@dataclass(frozen=True)
class ChangeContext:
    """What recording a change needs besides the alert: its rule (None once deleted), the
    territory reference, the dashboard's address and the time of the change."""

    rule: Rule | None
    index: TerritoryIndex
    dashboard_url: str
    now: datetime


async def record_change(
    conn: Conn,
    alert: asyncpg.Record,
    context: ChangeContext,
    *,
    kind: str,
    previous_level: str | None,
    notify: bool,
    tier: Tier = "normal",
    actor: str | None = None,
    note: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """History, alerts.v1 message and notifications of the alert's latest change; the payload
    (with `extra`'s fields added: a mobilisation's follow-up)."""
    await repository.insert_history(
        conn,
        alert,
        at=context.now,
        kind=kind,
        previous_level=previous_level,
        value=alert["value"],
        threshold=alert["threshold"],
        actor=actor,
        note=note,
    )
    rule = context.rule
    payload = change_payload(
        dict(alert),
        kind=kind,
        previous_level=previous_level,
        tier=tier,
        rule_name=rule.name if rule else alert["rule_id"],
        metric=rule.metric if rule else "count",
        territory_name=context.index.name(alert["territory_id"]),
        top_categories=await _top_categories(conn, alert, rule, context.now) if notify else [],
        dashboard_url=dashboard_link(context.dashboard_url, alert["territory_id"]),
        note=note,
        categories=categories_of(rule),
    )
    if extra:
        payload.update(extra)
    body = orjson.dumps(payload).decode()
    await repository.insert_event(conn, alert["territory_id"], body)
    if notify:
        await _fan_out(conn, alert, payload=payload, body=body, tier=tier, context=context)
    return payload


async def _top_categories(
    conn: Conn, alert: asyncpg.Record, rule: Rule | None, now: datetime
) -> list[dict[str, Any]]:
    if rule is None:
        return []
    last = paris_today(now)
    first: date = last - timedelta(days=rule.window_days - 1)
    rows = await repository.top_categories(
        conn, alert["territory_id"], first, last, selection=selection_of(rule)
    )
    nomenclature = default_nomenclature()
    return [
        {
            "code": row["category"],
            "label": (
                c.label if (c := nomenclature.category(row["category"])) else row["category"]
            ),
            "count": row["count"],
        }
        for row in rows
    ]


def categories_of(rule: Rule | None) -> list[str] | None:
    """The category codes a rule counts (its domains expanded); None: every category."""
    return rule.selector.category_codes() if rule else None


def selection_of(rule: Rule) -> repository.Selection:
    """A rule's selector as the counting statements take it."""
    selector = rule.selector
    targets = [str(t) for t in selector.targets] if selector.targets is not None else None
    return (selector.category_codes(), rule.scope.landlord_id, selector.min_severity, targets)


async def _fan_out(
    conn: Conn,
    alert: asyncpg.Record,
    *,
    payload: dict[str, Any],
    body: str,
    tier: Tier,
    context: ChangeContext,
) -> None:
    """One notification per matching subscription and channel, or one held back by a silence;
    and one e-mail to each referent covering the territory (see _referents)."""
    around = context.index.ancestors_of(alert["territory_id"])
    level: Level = alert["level"]
    silence = active_silence(
        [_silence(row) for row in await repository.current_silences(conn, context.now)],
        rule_id=alert["rule_id"],
        territory_and_ancestors=around,
        at=context.now,
    )
    deliveries = []
    mailed: set[str] = set()  # the addresses this change already reaches
    for row in await repository.subscriptions(conn):
        subscription = _subscription(row)
        if not subscription_matches(
            subscription,
            level=level,
            territory_and_ancestors=around,
            rule_landlord_id=alert["landlord_id"],
            escalation=tier == "escalation",
        ):
            continue
        deliveries += [
            repository.NewDelivery(
                subscription_id=subscription.subscription_id,
                channel=channel,
                dedup_key=payload["dedup_key"],
                alert_id=alert["alert_id"],
                payload=body,
                silence_id=silence.silence_id if silence else None,
                changed_at=alert["changed_at"],
            )
            for channel, address in (("webhook", row["url"]), ("email", row["email"]))
            if address
        ]
        if row["email"]:
            mailed.add(row["email"].lower())
    if deliveries:
        await repository.insert_deliveries(conn, deliveries)
    # Referents are told of the normal tier only, and not at all under a silence (a silence
    # summary goes to subscriptions only).
    if silence is None and tier == "normal":
        await _referents(conn, alert, around=around, payload=payload, body=body, mailed=mailed)


async def _referents(
    conn: Conn,
    alert: asyncpg.Record,
    *,
    around: frozenset[str],
    payload: dict[str, Any],
    body: str,
    mailed: set[str],
) -> None:
    """The French e-mail to every referent covering the alert's territory (naming it or a
    territory containing it), with no subscription: of the rule's landlord for a rule scoped to
    one, of every landlord for a rule over all landlords (all of them share the territory's
    counts). Each address once per change, none a subscription already reaches."""
    addresses = []
    for row in await directory.referents(
        conn, landlord_id=alert["landlord_id"], naming_any_of=around
    ):
        if (address := row["email"].lower()) not in mailed:
            mailed.add(address)
            addresses.append(row["email"])
    if addresses:
        await repository.insert_recipient_deliveries(
            conn,
            addresses,
            dedup_key=payload["dedup_key"],
            alert_id=alert["alert_id"],
            payload=body,
            changed_at=alert["changed_at"],
        )


def _subscription(row: asyncpg.Record) -> Subscription:
    ids = row["territory_ids"]
    return Subscription(
        subscription_id=row["subscription_id"],
        min_level=row["min_level"],
        territory_ids=frozenset(ids) if ids else None,
        landlord_id=row["landlord_id"],
        escalation=row["escalation"],
    )


def _silence(row: asyncpg.Record) -> Silence:
    return Silence(
        silence_id=row["silence_id"],
        territory_id=row["territory_id"],
        rule_id=row["rule_id"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
    )
