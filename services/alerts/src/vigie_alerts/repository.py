"""The alerts service's SQL (sql/*.sql), run on a connection the caller holds, so that a caller
can put several statements in one transaction. Notifications' own statements are in
delivery/repository.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from typing import Any
from uuid import UUID

import asyncpg

from vigie_alerts.delivery.repository import Conn


@cache
def sql(name: str) -> str:
    """The text of one of the package's SQL files, read once."""
    return files("vigie_alerts").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


# Rules


async def upsert_rule(conn: Conn, rule_id: str, body: str) -> bool:
    """Create or replace a rule (its validated JSON); True when created."""
    return bool(await conn.fetchval(sql("rule_upsert"), rule_id, body))


async def seed_rule(conn: Conn, rule_id: str, body: str) -> bool:
    """Install a rule unless one has this id; True when installed."""
    return await conn.fetchval(sql("rule_seed"), rule_id, body) is not None


async def rules(conn: Conn, rule_id: str | None = None) -> list[asyncpg.Record]:
    """Rules with their last evaluation's status, by id; one when `rule_id` is given."""
    return await conn.fetch(sql("rule_list"), rule_id)


async def delete_rule(conn: Conn, rule_id: str) -> bool:
    """Delete a rule; False when there was none."""
    return await conn.fetchval(sql("rule_delete"), rule_id) is not None


async def record_rule_status(
    conn: Conn, rule_id: str, *, at: datetime, evaluated: int, skipped: Sequence[str]
) -> None:
    """What a full evaluation of the rule found."""
    await conn.execute(sql("rule_status_upsert"), rule_id, at, evaluated, list(skipped))


# Territories and counters


async def territory_rows(conn: Conn) -> list[asyncpg.Record]:
    """Every territory: id, kind, name, social dwellings."""
    return await conn.fetch(sql("territory_list"))


async def ancestor_rows(conn: Conn) -> list[asyncpg.Record]:
    """The territory hierarchy's closure, self rows included."""
    return await conn.fetch(sql("territory_ancestors"))


# Counts over at most this many territories (descendants included) are read through the
# counters' primary key, one range scan per territory (`*_few.sql`); over more, with one scan of
# the window's days (a sweep). The planner cannot tell the two apart from a parameter array.
# Measured on 120 days of counters for every QPV: a range scan costs ~0.05 ms per territory for
# 30 days and ~0.5 ms for the 91 days of an anomaly rule, the join ~50 and ~400 ms whatever the
# number of territories: they cross near 800.
FEW_TERRITORIES = 600


async def window_counts(
    conn: Conn,
    territory_ids: Sequence[str],
    first: date,
    last: date,
    *,
    selection: Selection,
    covered: int | None = None,
) -> dict[str, int]:
    """What a rule counts per territory over [first, last] (territories with none are absent);
    `covered`: how many territories the ids cover, descendants included (None: many)."""
    name = "window_counts_few" if _few(covered) else "window_counts"
    rows = await conn.fetch(sql(name), list(territory_ids), first, last, *selection)
    return {row["territory_id"]: row["count"] for row in rows}


async def daily_counts(
    conn: Conn,
    territory_ids: Sequence[str],
    first: date,
    last: date,
    *,
    selection: Selection,
    covered: int | None = None,
) -> list[asyncpg.Record]:
    """The same per day: (territory_id, days, counts), the days as offsets from `first` with
    their counts, days with none left out; territories with none absent."""
    name = "daily_counts_few" if _few(covered) else "daily_counts"
    return await conn.fetch(sql(name), list(territory_ids), first, last, *selection)


def _few(covered: int | None) -> bool:
    return covered is not None and covered <= FEW_TERRITORIES


async def top_categories(
    conn: Conn, territory_id: str, first: date, last: date, *, selection: Selection
) -> list[asyncpg.Record]:
    """The leading categories of a territory's window (category, count), at most five."""
    categories, landlord_id, _, _ = selection
    return await conn.fetch(
        sql("top_categories"), territory_id, first, last, categories, landlord_id
    )


# (categories or None, landlord or None, minimum severity, targets or None): a rule's selection
# as the counting statements take it.
Selection = tuple[list[str] | None, str | None, int, list[str] | None]


# Alerts


async def live_alerts(
    conn: Conn, rule_id: str, territory_ids: Sequence[str] | None
) -> list[asyncpg.Record]:
    """The open or acknowledged alerts of a rule, on these territories (None: all)."""
    ids = list(territory_ids) if territory_ids is not None else None
    return await conn.fetch(sql("alerts_live"), rule_id, ids)


async def live_alerts_on(conn: Conn, territory_ids: Sequence[str] | None) -> list[asyncpg.Record]:
    """The open or acknowledged alerts of every rule, on these territories (None: all)."""
    ids = list(territory_ids) if territory_ids is not None else None
    return await conn.fetch(sql("alerts_live_on"), ids)


async def lock_pair(conn: Conn, rule_id: str, territory_id: str) -> None:
    """Hold the (rule, territory) until the transaction ends."""
    await conn.execute(sql("alert_lock_pair"), rule_id, territory_id)


async def live_alert_for_pair(conn: Conn, rule_id: str, territory_id: str) -> asyncpg.Record | None:
    """The pair's open or acknowledged alert."""
    return await conn.fetchrow(sql("alert_live_for_pair"), rule_id, territory_id)


async def alert_for_update(conn: Conn, alert_id: UUID) -> asyncpg.Record | None:
    """An alert, locked until the transaction ends."""
    return await conn.fetchrow(sql("alert_by_id_for_update"), alert_id)


async def insert_alert(conn: Conn, **values: Any) -> asyncpg.Record:
    """A new open alert."""
    row = await conn.fetchrow(
        sql("alert_insert"),
        values["alert_id"],
        values["rule_id"],
        values["territory_id"],
        values["landlord_id"],
        values["level"],
        values["notified_level"],
        values["value"],
        values["count"],
        values["threshold"],
        values["window_days"],
        values["at"],
    )
    assert row is not None  # INSERT … RETURNING
    return row


async def update_alert(
    conn: Conn,
    alert_id: UUID,
    *,
    state: str,
    level: str,
    notified_level: str,
    value: float,
    count: int,
    threshold: float,
    at: datetime,
    actor: str | None = None,
    escalated: bool = False,
) -> asyncpg.Record:
    """Apply one change to an alert, counted in its `changes`."""
    row = await conn.fetchrow(
        sql("alert_update"),
        alert_id,
        state,
        level,
        notified_level,
        value,
        count,
        threshold,
        at,
        actor,
        escalated,
    )
    assert row is not None  # the caller holds the alert's row
    return row


async def insert_history(conn: Conn, alert: asyncpg.Record, **values: Any) -> None:
    """The alert's latest change (its `changes` is the sequence number) in its history."""
    await conn.execute(
        sql("history_insert"),
        alert["alert_id"],
        alert["changes"],
        values["at"],
        values["kind"],
        alert["state"],
        alert["level"],
        values.get("previous_level"),
        values.get("value"),
        values.get("threshold"),
        values.get("actor"),
        values.get("note"),
    )


async def history(conn: Conn, alert_id: UUID) -> list[asyncpg.Record]:
    """An alert's changes in order."""
    return await conn.fetch(sql("history_of"), alert_id)


async def list_alerts(
    conn: Conn,
    *,
    state: str | None,
    territory_id: str | None,
    level: str | None,
    within: Sequence[str] | None,
    landlord_id: str | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Alerts, newest change first, filtered (territories include their descendants)."""
    ids = list(within) if within is not None else None
    return await conn.fetch(sql("alerts_list"), state, territory_id, level, ids, landlord_id, limit)


async def get_alert(conn: Conn, alert_id: UUID) -> asyncpg.Record | None:
    """One alert with its rule's name."""
    return await conn.fetchrow(sql("alert_get"), alert_id)


async def alerts_to_escalate(conn: Conn, now: datetime) -> list[UUID]:
    """Open alerts whose rule's escalation delay has passed, not escalated yet."""
    return [row["alert_id"] for row in await conn.fetch(sql("alerts_to_escalate"), now)]


async def alerts_by_state(conn: Conn, now: datetime) -> list[asyncpg.Record]:
    """(state, level, n) of live alerts and those resolved in the last day."""
    return await conn.fetch(sql("alerts_by_state"), now)


# alerts.v1 outbox


async def insert_event(conn: Conn, territory_id: str, payload: str) -> None:
    """An alerts.v1 message to publish once the transaction commits."""
    await conn.execute(sql("event_insert"), territory_id, payload)


async def take_events(conn: Conn, limit: int) -> list[asyncpg.Record]:
    """The oldest unpublished messages (id, territory_id, payload), locked for this caller."""
    return await conn.fetch(sql("events_take"), limit)


async def delete_events(conn: Conn, ids: Sequence[int]) -> None:
    """Forget published messages."""
    await conn.execute(sql("events_delete"), list(ids))


async def events_depth(conn: Conn) -> int:
    """Unpublished alerts.v1 messages."""
    return int(await conn.fetchval(sql("events_depth")))


# Subscriptions, deliveries and silences


async def upsert_subscription(conn: Conn, subscription_id: str, **values: Any) -> bool:
    """Create or replace a subscription; True when created."""
    created = await conn.fetchval(
        sql("subscription_upsert"),
        subscription_id,
        values["url"],
        values["secret"],
        values["email"],
        values["min_level"],
        values["territory_ids"],
        values["landlord_id"],
        values["escalation"],
        values["owner_key_id"],
    )
    return bool(created)


async def subscriptions(conn: Conn, subscription_id: str | None = None) -> list[asyncpg.Record]:
    """Subscriptions by id; one when `subscription_id` is given."""
    return await conn.fetch(sql("subscription_list"), subscription_id)


async def delete_subscription(conn: Conn, subscription_id: str) -> bool:
    """Delete a subscription (its pending notifications with it)."""
    return await conn.fetchval(sql("subscription_delete"), subscription_id) is not None


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A notification to send, or held back when `silence_id` is given."""

    subscription_id: str
    channel: str
    dedup_key: str
    alert_id: UUID | None
    payload: str
    silence_id: str | None
    changed_at: datetime


async def insert_delivery(
    conn: Conn,
    *,
    subscription_id: str,
    channel: str,
    dedup_key: str,
    alert_id: UUID | None,
    payload: str,
    silence_id: str | None,
    changed_at: datetime,
) -> None:
    """A notification to send, or held back when `silence_id` is given."""
    new = NewDelivery(
        subscription_id, channel, dedup_key, alert_id, payload, silence_id, changed_at
    )
    await insert_deliveries(conn, [new])


async def insert_deliveries(conn: Conn, deliveries: Sequence[NewDelivery]) -> None:
    """Notifications to send, in one round trip (a change notifies every matching
    subscription at once)."""
    await conn.executemany(
        sql("delivery_insert"),
        [
            (
                d.subscription_id,
                d.channel,
                d.dedup_key,
                d.alert_id,
                d.payload,
                "suppressed" if d.silence_id else "pending",
                d.silence_id,
                d.changed_at,
            )
            for d in deliveries
        ],
    )


async def insert_recipient_deliveries(
    conn: Conn,
    addresses: Sequence[str],
    *,
    dedup_key: str,
    alert_id: UUID | None,
    payload: str,
    changed_at: datetime,
) -> None:
    """E-mails to addresses without a subscription (referents, partner contacts), one round
    trip; an address gets one per `dedup_key`."""
    await conn.executemany(
        sql("delivery_insert_recipient"),
        [(address, dedup_key, alert_id, payload, changed_at) for address in addresses],
    )


async def upsert_silence(conn: Conn, silence_id: str, **values: Any) -> bool:
    """Create or replace a silence; True when created."""
    created = await conn.fetchval(
        sql("silence_upsert"),
        silence_id,
        values["territory_id"],
        values["rule_id"],
        values["starts_at"],
        values["ends_at"],
        values["created_by"],
        values["reason"],
    )
    return bool(created)


async def silences(conn: Conn, silence_id: str | None = None) -> list[asyncpg.Record]:
    """Silences with how many notifications each held back; one when `silence_id` is given."""
    return await conn.fetch(sql("silence_list"), silence_id)


async def delete_silence(conn: Conn, silence_id: str) -> bool:
    """Delete a silence."""
    return await conn.fetchval(sql("silence_delete"), silence_id) is not None


async def current_silences(conn: Conn, at: datetime) -> list[asyncpg.Record]:
    """Silences in force at `at`."""
    return await conn.fetch(sql("silences_current"), at)


async def ended_silences(conn: Conn, at: datetime) -> list[asyncpg.Record]:
    """Silences over and not summarised, locked for this transaction."""
    return await conn.fetch(sql("silences_ended"), at)


async def suppressed_by(conn: Conn, silence_id: str) -> list[asyncpg.Record]:
    """(subscription_id, channel, payloads as a JSON array text) a silence held back."""
    return await conn.fetch(sql("silence_suppressed"), silence_id)


async def mark_held_back_summarised(conn: Conn, silence_id: str) -> None:
    """What a silence held back is in its summary: a later period of the same id starts empty."""
    await conn.execute(sql("silence_held_back_summarised"), silence_id)


async def mark_summarised(conn: Conn, silence_id: str, at: datetime) -> None:
    """The silence's summary is written."""
    await conn.execute(sql("silence_mark_summarised"), silence_id, at)
