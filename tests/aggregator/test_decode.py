"""From record bytes to revisions: the contract's rules, judged at the record's timestamp."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from tests.support.aggregator import state_event, withdrawal
from vigie_aggregator.decode import InvalidMessage, decode_record, events_json


def ms(moment: datetime) -> int:
    """A Kafka timestamp."""
    return int(moment.timestamp() * 1000)


def test_a_valid_event_is_decoded_and_written_in_canonical_forms() -> None:
    """Whatever UUID and time variants the sender used, the SQL reads one form; the description
    is not passed on."""
    occurred = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
    data = state_event(incident_id="A", revision=1, occurred_at=occurred, cost_eur=10.005)
    data["event_id"] = uuid.UUID(data["event_id"]).hex.upper()
    data["occurred_at"] = "2026-01-01T00:30:00+01:00"
    data["description"] = "tag au \x00 hall"
    event = decode_record(orjson.dumps(data), timestamp_ms=ms(occurred + timedelta(hours=1)))
    (row,) = orjson.loads(events_json([event]))
    assert row["e"] == str(uuid.UUID(data["event_id"]))
    assert datetime.fromisoformat(row["o"]) == occurred
    assert "\x00" not in orjson.dumps(row).decode()
    assert row["cost"] == 10.005


def test_time_bounds_follow_the_record_timestamp_not_the_clock() -> None:
    """An event six years old is valid if it was produced six years ago (a replay), and
    invalid if it was produced now."""
    occurred = datetime.now(UTC) - timedelta(days=6 * 365)
    raw = orjson.dumps(state_event(incident_id="A", revision=1, occurred_at=occurred))
    decode_record(raw, timestamp_ms=ms(occurred + timedelta(minutes=1)))
    with pytest.raises(InvalidMessage, match="older than 5 years"):
        decode_record(raw, timestamp_ms=ms(datetime.now(UTC)))
    future = orjson.dumps(
        state_event(incident_id="B", revision=1, occurred_at=datetime.now(UTC) + timedelta(hours=1))
    )
    with pytest.raises(InvalidMessage, match="future"):
        decode_record(future, timestamp_ms=ms(datetime.now(UTC)))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "invalid JSON"),
        (b"[1, 2]", "(body)"),
        (
            orjson.dumps({**state_event(incident_id="A", revision=1), "category": "NOPE"}),
            "category",
        ),
        (orjson.dumps({**state_event(incident_id="A", revision=1), "severity": 9}), "severity"),
        (orjson.dumps({**state_event(incident_id="A", revision=0)}), "revision"),
        (orjson.dumps({**state_event(incident_id="A", revision=2**31)}), "revision"),
        (orjson.dumps({**state_event(incident_id="A\x00", revision=1)}), "NUL"),
        (orjson.dumps({**state_event(incident_id="A", revision=1), "cost_eur": 1e15}), "cost_eur"),
        (None, "empty"),
    ],
)
def test_invalid_records_are_rejected_with_a_reason(raw: bytes | None, message: str) -> None:
    """Each broken record names what is wrong."""
    with pytest.raises(InvalidMessage) as caught:
        decode_record(raw, timestamp_ms=ms(datetime.now(UTC)))
    assert message in str(caught.value)


def test_a_withdrawal_without_timestamp_is_decoded() -> None:
    """A record without a Kafka timestamp is judged without time bounds."""
    raw = orjson.dumps(withdrawal(incident_id="A", revision=2))
    event = decode_record(raw, timestamp_ms=None)
    assert event.type == "incident.withdrawn"
    assert event.revision == 2
