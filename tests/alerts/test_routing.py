"""Who receives an alert change, silences, and the retry schedule of deliveries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from vigie_alerts.routing import (
    MAX_ATTEMPTS,
    Silence,
    Subscription,
    active_silence,
    retry_delay,
    subscription_matches,
)
from vigie_alerts.rules import Level

QPV = "QN09301M"
SEINE_SAINT_DENIS = "93"
ILE_DE_FRANCE = "11"
QPV_AND_ANCESTORS = frozenset({QPV, "93066", SEINE_SAINT_DENIS, ILE_DE_FRANCE, "FR"})
NOON = datetime(2025, 6, 2, 12, tzinfo=UTC)


def subscription(
    *,
    min_level: Level = "vigilance",
    territory_ids: frozenset[str] | None = None,
    landlord_id: str | None = None,
    escalation: bool = False,
) -> Subscription:
    """A subscription to everything unless told otherwise."""
    return Subscription(
        subscription_id="s1",
        min_level=min_level,
        territory_ids=territory_ids,
        landlord_id=landlord_id,
        escalation=escalation,
    )


def matches(
    sub: Subscription,
    *,
    level: Level = "alerte",
    landlord: str | None = None,
    escalation: bool = False,
) -> bool:
    """Whether a change on the QPV reaches the subscription."""
    return subscription_matches(
        sub,
        level=level,
        territory_and_ancestors=QPV_AND_ANCESTORS,
        rule_landlord_id=landlord,
        escalation=escalation,
    )


@pytest.mark.parametrize(
    ("min_level", "level", "expected"),
    [
        ("vigilance", "vigilance", True),
        ("alerte", "vigilance", False),
        ("alerte", "alerte", True),
        ("alerte", "critique", True),
        ("critique", "alerte", False),
    ],
)
def test_minimum_level(min_level: Level, level: Level, expected: bool) -> None:
    assert matches(subscription(min_level=min_level), level=level) is expected


def test_a_departement_subscription_receives_its_qpvs() -> None:
    assert matches(subscription(territory_ids=frozenset({SEINE_SAINT_DENIS})))
    assert matches(subscription(territory_ids=frozenset({QPV, "QN07501M"})))
    assert not matches(subscription(territory_ids=frozenset({"75", "QN07501M"})))


def test_a_landlord_subscription_receives_that_landlords_rules_only() -> None:
    sub = subscription(landlord_id="LOG93")
    assert matches(sub, landlord="LOG93")
    assert not matches(sub, landlord="LOG75")
    assert not matches(sub, landlord=None)
    assert matches(subscription(), landlord="LOG75")


def test_the_escalation_tier_is_separate() -> None:
    normal, tier = subscription(), subscription(escalation=True)
    assert matches(normal)
    assert not matches(normal, escalation=True)
    assert matches(tier, escalation=True)
    assert not matches(tier)


def test_a_subscription_to_no_territory_is_refused() -> None:
    with pytest.raises(ValueError, match="territory_ids"):
        subscription(territory_ids=frozenset())


def silence(
    *,
    territory_id: str | None = None,
    rule_id: str | None = None,
    starts_at: datetime = NOON - timedelta(hours=1),
    ends_at: datetime = NOON + timedelta(hours=1),
    silence_id: str = "x",
) -> Silence:
    """A silence around noon."""
    return Silence(
        silence_id=silence_id,
        territory_id=territory_id,
        rule_id=rule_id,
        starts_at=starts_at,
        ends_at=ends_at,
    )


def active(silences: list[Silence], *, rule_id: str = "r1", at: datetime = NOON) -> Silence | None:
    """The silence holding back rule_id's alert on the QPV."""
    return active_silence(
        silences, rule_id=rule_id, territory_and_ancestors=QPV_AND_ANCESTORS, at=at
    )


def test_a_rule_silence_holds_that_rule_everywhere() -> None:
    rule_silence = silence(rule_id="r1")
    assert active([rule_silence]) is rule_silence
    assert active([rule_silence], rule_id="r2") is None


def test_a_territory_silence_holds_every_rule_below_it() -> None:
    department = silence(territory_id=SEINE_SAINT_DENIS)
    assert active([department], rule_id="r2") is department
    assert active([silence(territory_id="75")]) is None


def test_a_silence_naming_both_needs_both() -> None:
    both = silence(rule_id="r1", territory_id=QPV)
    assert active([both]) is both
    assert active([both], rule_id="r2") is None
    assert active([silence(rule_id="r1", territory_id="75")]) is None


def test_a_silence_holds_from_its_start_until_its_end() -> None:
    window = silence(rule_id="r1", starts_at=NOON, ends_at=NOON + timedelta(minutes=5))
    assert active([window], at=NOON) is window
    assert active([window], at=NOON + timedelta(minutes=4, seconds=59)) is window
    assert active([window], at=NOON + timedelta(minutes=5)) is None
    assert active([window], at=NOON - timedelta(microseconds=1)) is None


def test_the_first_matching_silence_is_returned() -> None:
    silences = [
        silence(rule_id="r2", silence_id="other rule"),
        silence(rule_id="r1", silence_id="first"),
        silence(territory_id=QPV, silence_id="second"),
    ]
    found = active(silences)
    assert found is not None
    assert found.silence_id == "first"


def test_no_silence() -> None:
    assert active([]) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "territory_id, a rule_id or both"),
        ({"rule_id": "r1", "ends_at": NOON - timedelta(hours=1)}, "end after it starts"),
        ({"rule_id": "r1", "starts_at": datetime(2025, 6, 2, 11)}, "time zone"),
    ],
)
def test_a_bad_silence_is_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        silence(**fields)


def test_retries_back_off_from_30_seconds_to_an_hour() -> None:
    delays = [retry_delay(attempt).total_seconds() for attempt in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert retry_delay(10**6) == timedelta(hours=1)


def test_the_attempts_span_more_than_ten_minutes() -> None:
    """A receiver down for a ten-minute restart still gets the delivery."""
    assert sum((retry_delay(a) for a in range(1, 6)), timedelta()) >= timedelta(minutes=10)
    waits = sum((retry_delay(a) for a in range(1, MAX_ATTEMPTS)), timedelta())
    assert waits >= timedelta(minutes=10)
    assert MAX_ATTEMPTS == 8


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        retry_delay(0)
