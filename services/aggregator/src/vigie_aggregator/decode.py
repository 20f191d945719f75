"""From the bytes of a Kafka record to an incident revision, through the contract's models.

Time bounds: the contract's "not more than 5 minutes in the future, not older than 5 years" is
checked against the record's Kafka timestamp, not against the clock. A live event is checked
against the moment it was produced, and replaying an old topic (recovery, a new consumer
group) gives exactly the same verdicts as the first time, so counts never depend on when the
aggregator happened to read a message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import orjson

from vigie.events import (
    EventValidationError,
    IncidentState,
    IncidentWithdrawn,
    parse_event,
    validate_event,
)
from vigie_aggregator.counting import Contribution, IncidentRevision

PARIS = ZoneInfo("Europe/Paris")
CENT = Decimal("0.01")
# Limits of the storage columns: a valid event beyond them would stall its partition.
MAX_REVISION = 2**31 - 1
MAX_COST = Decimal("999999999999.99")  # numeric(14, 2)


class InvalidMessage(ValueError):
    """A record that cannot be counted; the message says why (it becomes the DLQ `error`)."""


def decode_record(raw: bytes | None, *, timestamp_ms: int | None) -> IncidentRevision:
    """Parse and validate one record value; raise InvalidMessage with the reason."""
    if raw is None:
        raise InvalidMessage("(body): empty message")
    try:
        if timestamp_ms is None or timestamp_ms < 0:
            event = validate_event(orjson.loads(raw), check_time=False)
        else:
            event = parse_event(raw, now=datetime.fromtimestamp(timestamp_ms / 1000, UTC))
    except orjson.JSONDecodeError as exc:
        raise InvalidMessage(f"(body): invalid JSON: {exc}") from None
    except EventValidationError as exc:
        raise InvalidMessage(str(exc)) from None
    return to_revision(event)


def to_revision(event: IncidentState | IncidentWithdrawn) -> IncidentRevision:
    """The stored form of a validated event; InvalidMessage if it does not fit the columns."""
    if event.revision > MAX_REVISION:
        raise InvalidMessage(f"revision: must be at most {MAX_REVISION}")
    _check_text("landlord_id", event.landlord_id)
    _check_text("incident_id", event.incident_id)
    if isinstance(event, IncidentWithdrawn):
        return IncidentRevision(
            landlord_id=event.landlord_id,
            incident_id=event.incident_id,
            revision=event.revision,
            event_id=event.event_id,
            contribution=None,
        )
    if event.residence_id is not None:
        _check_text("residence_id", event.residence_id)
    cost = None
    if event.cost_eur is not None:
        cost = Decimal(repr(event.cost_eur)).quantize(CENT)
        if cost > MAX_COST:
            raise InvalidMessage(f"cost_eur: must be at most {MAX_COST}")
    try:
        day = event.occurred_at.astimezone(PARIS).date()
    except (OverflowError, ValueError):
        raise InvalidMessage("occurred_at: out of range") from None
    return IncidentRevision(
        landlord_id=event.landlord_id,
        incident_id=event.incident_id,
        revision=event.revision,
        event_id=event.event_id,
        contribution=Contribution(
            territory_id=event.territory_id,
            day=day,
            category=event.category,
            severity=event.severity,
            target=event.target,
            complaint=event.complaint,
            cost_eur=cost,
        ),
        residence_id=event.residence_id,
        occurred_at=event.occurred_at,
    )


def _check_text(name: str, value: str) -> None:
    # PostgreSQL text cannot hold NUL: such a value would fail the whole batch forever.
    if "\x00" in value:
        raise InvalidMessage(f"{name}: must not contain NUL characters")
