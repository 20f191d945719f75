"""From the bytes of a Kafka record to a validated event, through the contract's models.

Time bounds: the contract's "not more than 5 minutes in the future, not older than 5 years" is
checked against the record's Kafka timestamp, not against the clock. A live event is checked
against the moment it was produced, and replaying an old topic (recovery, a new consumer
group) gives exactly the same verdicts as the first time, so counts never depend on when the
aggregator happened to read a message.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeAlias

import orjson

from vigie.contract.events import (
    EventValidationError,
    IncidentState,
    IncidentWithdrawn,
    parse_event,
    validate_event,
)

Event: TypeAlias = IncidentState | IncidentWithdrawn
# Limits of the storage columns: a valid event beyond them would stall its partition.
MAX_REVISION = 2**31 - 1
MAX_COST = 999_999_999_999.99  # numeric(14, 2)


class InvalidMessage(ValueError):
    """A record that cannot be counted; the message says why (it becomes the DLQ `error`)."""


def decode_record(raw: bytes | None, *, timestamp_ms: int | None) -> Event:
    """Parse and validate one record value; raise InvalidMessage with the reason."""
    if raw is None:
        raise InvalidMessage("(body): empty message")
    try:
        if timestamp_ms is None or timestamp_ms < 0:
            event = validate_event(orjson.loads(raw), check_time=False)
        else:
            event = parse_event(raw, now=_moment(timestamp_ms), mask=False)
    except orjson.JSONDecodeError as exc:
        raise InvalidMessage(f"(body): invalid JSON: {exc}") from None
    except EventValidationError as exc:
        raise InvalidMessage(str(exc)) from None
    _check_storable(event)
    return event


@functools.lru_cache(maxsize=4096)
def _moment(timestamp_ms: int) -> datetime:
    # Records produced together share their timestamp (a batch request is published in one
    # go): converting each costs ~1 µs, more than the lookup.
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)


def _check_storable(event: Event) -> None:
    if event.revision > MAX_REVISION:
        raise InvalidMessage(f"revision: must be at most {MAX_REVISION}")
    # PostgreSQL text cannot hold NUL: such a value would fail the whole batch forever.
    _check_text("landlord_id", event.landlord_id)
    _check_text("incident_id", event.incident_id)
    if isinstance(event, IncidentState):
        if event.residence_id is not None:
            _check_text("residence_id", event.residence_id)
        if event.cost_eur is not None and event.cost_eur > MAX_COST:
            raise InvalidMessage(f"cost_eur: must be at most {MAX_COST:.2f}")


def _check_text(name: str, value: str) -> None:
    if "\x00" in value:
        raise InvalidMessage(f"{name}: must not contain NUL characters")


def events_json(events: Sequence[Event]) -> str:
    """The events as the JSON array apply_batch.sql reads, with short keys (PostgreSQL's parse
    time grows with the text). The values are the models' own, which orjson writes in canonical
    forms (UUIDs, RFC 3339 times) whatever variant the sender used. The description is left
    out: it is not counted."""
    rows: list[dict[str, Any]] = []
    for event in events:
        row = {
            "l": event.landlord_id,
            "i": event.incident_id,
            "r": event.revision,
            "e": event.event_id,
            "w": isinstance(event, IncidentWithdrawn),
            "t": event.territory_id,
        }
        if isinstance(event, IncidentState):
            row.update(
                res=event.residence_id,
                c=event.category,
                o=event.occurred_at,
                s=event.severity,
                tg=event.target,
                cp=event.complaint,
                cost=event.cost_eur,
            )
        rows.append(row)
    return orjson.dumps(rows).decode()
