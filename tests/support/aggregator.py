"""Helpers for the aggregator tests: event scenarios, the reference model, broker and DB I/O."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from vigie.contract import topics
from vigie.contract.events import COMPLAINTS, TARGETS, validate_event
from vigie_aggregator.batches import Applied, apply_events

PARIS = ZoneInfo("Europe/Paris")
CATEGORIES = ("BIE-TAG", "ENV-DEP", "PER-VER", "TRA-DEA")
# A few reference QPVs (present in every test database).
TERRITORIES = ("QN00101M", "QN00102M", "QN00103M", "QN09302M")
COUNTER_KEY = ("territory_id", "day", "category", "landlord_id")
Counters = dict[tuple[Any, ...], dict[str, Any]]


def state_event(
    *,
    incident_id: str,
    revision: int,
    landlord_id: str = "L1",
    territory_id: str = TERRITORIES[0],
    category: str = CATEGORIES[0],
    occurred_at: datetime | None = None,
    severity: int = 2,
    target: str = "patrimoine",
    complaint: str = "aucune",
    cost_eur: float | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A report (revision 1) or correction (higher) as JSON-ready data."""
    event: dict[str, Any] = {
        "event_id": event_id or str(uuid.uuid4()),
        "type": "incident.reported" if revision == 1 else "incident.corrected",
        "incident_id": incident_id,
        "revision": revision,
        "landlord_id": landlord_id,
        "territory_id": territory_id,
        "category": category,
        "occurred_at": (occurred_at or datetime.now(UTC) - timedelta(days=1)).isoformat(),
        "severity": severity,
        "target": target,
        "complaint": complaint,
    }
    if cost_eur is not None:
        event["cost_eur"] = cost_eur
    return event


def withdrawal(*, incident_id: str, revision: int, landlord_id: str = "L1") -> dict[str, Any]:
    """An `incident.withdrawn` event."""
    return {
        "event_id": str(uuid.uuid4()),
        "type": "incident.withdrawn",
        "incident_id": incident_id,
        "revision": revision,
        "landlord_id": landlord_id,
    }


def random_scenario(
    rng: random.Random, *, incidents: int, duplicate_ratio: float = 0.1
) -> list[dict[str, Any]]:
    """Reports, corrections (moving territory, category, day…) and withdrawals, shuffled, with
    exact duplicates."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)
    events: list[dict[str, Any]] = []
    for number in range(incidents):
        landlord = rng.choice(("L1", "L2"))
        for revision in range(1, rng.choice((1, 1, 1, 2, 2, 3)) + 1):
            if revision > 1 and rng.random() < 0.2:
                events.append(
                    withdrawal(incident_id=f"I{number}", revision=revision, landlord_id=landlord)
                )
                continue
            events.append(
                state_event(
                    incident_id=f"I{number}",
                    revision=revision,
                    landlord_id=landlord,
                    territory_id=rng.choice(TERRITORIES),
                    category=rng.choice(CATEGORIES),
                    # Around midnight in Paris, so the day depends on the time zone.
                    occurred_at=base
                    + timedelta(days=rng.randrange(5), minutes=rng.randrange(-90, 90)),
                    severity=rng.randint(1, 4),
                    target=rng.choice(TARGETS),
                    complaint=rng.choice(COMPLAINTS),
                    cost_eur=rng.choice((None, 0.0, 12.5, 199.99, 1234.56)),
                )
            )
    events += [dict(rng.choice(events)) for _ in range(int(len(events) * duplicate_ratio))]
    rng.shuffle(events)
    return events


def model_counters(events: Iterable[dict[str, Any]]) -> Counters:
    """The reference: each incident's highest (revision, event_id) event, withdrawn dropped,
    counted by territory × Paris day × category × landlord."""
    best: dict[tuple[str, str], tuple[tuple[int, uuid.UUID], dict[str, Any]]] = {}
    for event in events:
        key = (event["landlord_id"], event["incident_id"])
        order = (event["revision"], uuid.UUID(event["event_id"]))
        if key not in best or order > best[key][0]:
            best[key] = (order, event)
    counters: Counters = {}
    for _, event in best.values():
        if event["type"] == "incident.withdrawn":
            continue
        day = datetime.fromisoformat(event["occurred_at"]).astimezone(PARIS).date()
        counter_key = (event["territory_id"], day, event["category"], event["landlord_id"])
        row = counters.setdefault(counter_key, _empty_row())
        row["incidents"] += 1
        row[f"severity_{event['severity']}"] += 1
        row[f"target_{event['target']}"] += 1
        row[f"complaint_{event['complaint']}"] += 1
        if event.get("cost_eur") is not None:
            row["cost_eur"] += Decimal(repr(event["cost_eur"])).quantize(Decimal("0.01"))
    return counters


def _empty_row() -> dict[str, Any]:
    row: dict[str, Any] = {"incidents": 0, "cost_eur": Decimal(0)}
    row.update({f"severity_{level}": 0 for level in range(1, 5)})
    row.update({f"target_{name}": 0 for name in TARGETS})
    row.update({f"complaint_{name}": 0 for name in COMPLAINTS})
    return row


async def apply(pool: asyncpg.Pool, events: Sequence[dict[str, Any]]) -> Applied:
    """Apply JSON-ready events as one batch, through the aggregator's validation and SQL."""
    return await apply_events(pool, [validate_event(event, check_time=False) for event in events])


async def apply_in_batches(pool: asyncpg.Pool, events: Sequence[dict[str, Any]], size: int) -> None:
    """Apply events in consecutive batches of `size`."""
    for start in range(0, len(events), size):
        await apply(pool, events[start : start + size])


async def stored_counters(conn: asyncpg.Connection | asyncpg.Pool) -> Counters:
    """incident_counters as {key: {column: value}}."""
    rows = await conn.fetch("SELECT * FROM incident_counters")
    result: Counters = {}
    for row in rows:
        data = dict(row)
        key = tuple(data.pop(column) for column in COUNTER_KEY)
        result[key] = data
    return result


def event_bytes(event: dict[str, Any]) -> bytes:
    """The JSON a producer sends."""
    return orjson.dumps(event)


def event_key(event: dict[str, Any]) -> bytes:
    """The §6 key: the territory, or the landlord for a bare withdrawal."""
    return str(event.get("territory_id") or event["landlord_id"]).encode()


async def produce(
    bootstrap: str,
    messages: Sequence[tuple[bytes | None, bytes | None]],
    *,
    topic: str = topics.INCIDENTS,
    rate_per_s: float | None = None,
) -> None:
    """Produce (key, value) pairs with a plain Kafka client, optionally paced."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, linger_ms=5)
    await producer.start()
    try:
        started = time.monotonic()
        futures = []
        for index, (key, value) in enumerate(messages):
            futures.append(await producer.send(topic, key=key, value=value))
            if rate_per_s and index % 100 == 99:
                ahead = (index + 1) / rate_per_s - (time.monotonic() - started)
                if ahead > 0:
                    await asyncio.sleep(ahead)
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def read_topic(
    bootstrap: str, topic: str, *, at_least: int, within: float = 30.0
) -> list[Any]:
    """Read a topic from the start until `at_least` records arrived or `within` seconds pass."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = time.monotonic() + within
        while len(records) < at_least and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for part in batch.values():
                records.extend(part)
    finally:
        await consumer.stop()
    return records


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float, interval: float = 0.2
) -> bool:
    """Poll until `check()` is true or `within` seconds pass; return the last answer."""
    deadline = time.monotonic() + within
    while True:
        if await check():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(interval)


def day(text: str) -> date:
    """A date from ISO text."""
    return date.fromisoformat(text)
