"""The life of an alert: each branch of `decide`, then properties over random rules and random
sequences of readings (notifications, resolution, one alert at a time, no flapping)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigie_alerts.lifecycle import Change, Current, Reading, decide
from vigie_alerts.rules import LEVELS, Level, Rule, level_rank

THREE = Rule.model_validate(
    {
        "name": "three levels",
        "window_days": 7,
        "levels": {"vigilance": 10, "alerte": 20, "critique": 40},
        "clear_ratio": 0.5,
    }
)


def reading(value: float, count: int | None = None) -> Reading:
    """A reading of a count metric: the count is the value unless given."""
    return Reading(value=value, count=round(value) if count is None else count)


def at(level: Level, notified: Level | None = None) -> Current:
    """An open alert at a level, having notified `notified` (by default the same level)."""
    return Current(level=level, notified_level=notified or level)


# Branches


def test_nothing_below_the_lowest_level() -> None:
    assert decide(THREE, None, reading(9.9)) is None


def test_opens_at_the_highest_level_reached() -> None:
    assert decide(THREE, None, reading(25)) == Change(
        kind="opened",
        level="alerte",
        previous_level=None,
        threshold=20,
        notify=True,
        notified_level="alerte",
    )


def test_does_not_open_below_min_count() -> None:
    rule = THREE.model_copy(update={"min_count": 3})
    assert decide(rule, None, reading(50, count=2)) is None
    opened = decide(rule, None, reading(50, count=3))
    assert opened is not None
    assert opened.level == "critique"


def test_resolves_below_clear_ratio_of_the_lowest_level() -> None:
    assert decide(THREE, at("alerte", "critique"), reading(4.9)) == Change(
        kind="resolved",
        level="alerte",
        previous_level="alerte",
        threshold=5,
        notify=True,
        notified_level="critique",
    )


def test_resolves_when_nothing_is_counted() -> None:
    change = decide(THREE, at("critique"), reading(45, count=0))
    assert change is not None
    assert change.kind == "resolved"


def test_escalates_and_notifies_a_new_level() -> None:
    assert decide(THREE, at("vigilance"), reading(41)) == Change(
        kind="escalated",
        level="critique",
        previous_level="vigilance",
        threshold=40,
        notify=True,
        notified_level="critique",
    )


def test_escalating_back_to_a_notified_level_is_silent() -> None:
    """critique, then alerte (silently), then critique again: critique is announced once."""
    assert decide(THREE, at("alerte", "critique"), reading(40)) == Change(
        kind="escalated",
        level="critique",
        previous_level="alerte",
        threshold=40,
        notify=False,
        notified_level="critique",
    )


def test_escalating_past_the_notified_level_notifies() -> None:
    change = decide(THREE, at("vigilance", "alerte"), reading(40))
    assert change is not None
    assert (change.notify, change.notified_level) == (True, "critique")


def test_deescalates_silently_below_clear_ratio_of_its_level() -> None:
    assert decide(THREE, at("critique"), reading(19.9)) == Change(
        kind="deescalated",
        level="alerte",
        previous_level="critique",
        threshold=20,  # 0.5 × critique
        notify=False,
        notified_level="critique",
    )


def test_deescalates_past_several_levels() -> None:
    change = decide(THREE, at("critique"), reading(6))
    assert change is not None
    assert (change.kind, change.level, change.threshold) == ("deescalated", "vigilance", 10)


@pytest.mark.parametrize(
    ("level", "value"),
    [
        ("critique", 20),  # exactly clear_ratio × critique: holds
        ("critique", 39.9),
        ("alerte", 10),
        ("alerte", 19.9),
        ("vigilance", 5),  # exactly clear_below: holds
        ("vigilance", 9.9),
        ("vigilance", 19.9),
    ],
)
def test_holds_within_its_band(level: Level, value: float) -> None:
    assert decide(THREE, at(level), reading(value)) is None


def test_an_alert_at_a_level_the_rule_lost_settles_on_one_it_has() -> None:
    """The rule was edited while an alert was open at critique: no critique level any more."""
    edited = THREE.model_copy(update={"levels": THREE.levels.model_copy(update={"critique": None})})
    change = decide(edited, at("critique"), reading(25))
    assert change is not None
    assert (change.kind, change.level, change.notify) == ("deescalated", "alerte", False)
    assert decide(edited, at("alerte", "critique"), reading(25)) is None


# Properties


@dataclass(frozen=True)
class Step:
    """One reading applied to the alert as it was."""

    before: Current | None
    reading: Reading
    change: Change | None
    after: Current | None


def replay(rule: Rule, readings: list[Reading]) -> list[Step]:
    """Apply the readings one by one, as the evaluator does (a resolved alert is gone)."""
    current: Current | None = None
    steps = []
    for item in readings:
        change = decide(rule, current, item)
        before = current
        if change is not None:
            current = (
                None
                if change.kind == "resolved"
                else Current(level=change.level, notified_level=change.notified_level)
            )
        steps.append(Step(before=before, reading=item, change=change, after=current))
    return steps


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    """A rule with 1 to 3 levels, random thresholds, clear_ratio and min_count."""
    names = draw(st.lists(st.sampled_from(LEVELS), min_size=1, max_size=3, unique=True))
    names.sort(key=level_rank)
    values = draw(
        st.lists(st.floats(0.5, 100), min_size=len(names), max_size=len(names), unique=True)
    )
    levels: dict[str, Any] = dict(zip(names, sorted(values), strict=True))
    return Rule.model_validate(
        {
            "name": "random",
            "window_days": 7,
            "levels": levels,
            "clear_ratio": draw(st.floats(0.05, 0.95)),
            "min_count": draw(st.integers(1, 3)),
        }
    )


def readings(
    rule: Rule, *, low: float = 0.0, high: float | None = None, min_count: int = 1
) -> st.SearchStrategy[Reading]:
    """Readings in [low, high) (by default [0, 1.5 × the top threshold]), the rule's boundaries
    among them, with min_count to 5 incidents; a zero value counts nothing."""
    thresholds = [t for _, t in rule.thresholds()]
    top = thresholds[-1] * 1.5 if high is None else high
    edges = [v for t in thresholds for v in (t, rule.clear_ratio * t) if low <= v < top]
    values = st.floats(low, top, exclude_max=high is not None)
    if edges:
        values |= st.sampled_from(edges)
    if low == 0:
        values |= st.just(0.0)
    return st.builds(_reading, values, st.integers(min_count, 5))


def _reading(value: float, count: int) -> Reading:
    return Reading(value=value, count=0 if value == 0 else count)


@st.composite
def histories(draw: st.DrawFn) -> tuple[Rule, list[Step]]:
    """A random rule and the replay of 1 to 40 random readings."""
    rule = draw(rules())
    return rule, replay(rule, draw(st.lists(readings(rule), min_size=1, max_size=40)))


@settings(max_examples=200)
@given(histories())
def test_each_level_is_notified_once_and_never_a_lower_one(case: tuple[Rule, list[Step]]) -> None:
    """Within one alert's life, the levels notified (opened, escalated) strictly rise."""
    _, steps = case
    notified: list[Level] = []
    for step in steps:
        change = step.change
        if change is None:
            continue
        if change.kind == "opened":
            notified = []
        if change.notify and change.kind != "resolved":
            assert not notified or level_rank(change.level) > level_rank(notified[-1])
            notified.append(change.level)
        if change.kind != "resolved":
            assert change.notified_level == notified[-1]


@settings(max_examples=200)
@given(histories())
def test_a_zero_value_resolves_at_that_step(case: tuple[Rule, list[Step]]) -> None:
    _, steps = case
    for step in steps:
        if step.reading.value == 0 and step.before is not None:
            assert step.change is not None
            assert step.change.kind == "resolved"


@settings(max_examples=200)
@given(histories())
def test_one_alert_at_a_time(case: tuple[Rule, list[Step]]) -> None:
    """An alert opens only when there is none, and only "opened" starts one."""
    _, steps = case
    for step in steps:
        kind = step.change.kind if step.change else None
        assert (kind == "opened") == (step.before is None and step.change is not None)


@settings(max_examples=200)
@given(histories())
def test_the_alert_follows_the_value_with_hysteresis(case: tuple[Rule, list[Step]]) -> None:
    """After each step: no alert only if no level is reached; an open alert is at least at the
    level reached and its value stays above clear_ratio × its level's threshold."""
    rule, steps = case
    for step in steps:
        reached = rule.level_for(value=step.reading.value, count=step.reading.count)
        if step.after is None:
            assert reached is None
            continue
        assert reached is None or level_rank(step.after.level) >= level_rank(reached)
        assert step.reading.value >= rule.clear_ratio * rule.threshold(step.after.level)


@st.composite
def oscillations(draw: st.DrawFn) -> tuple[Rule, list[Step]]:
    """A rule, a reading that opens an alert, then readings in [clear_below, lowest threshold)."""
    rule = draw(rules())
    opening = draw(readings(rule, low=rule.thresholds()[0][1], min_count=rule.min_count))
    band = readings(rule, low=rule.clear_below(), high=rule.thresholds()[0][1])
    return rule, replay(rule, [opening, *draw(st.lists(band, min_size=1, max_size=30))])


@settings(max_examples=200)
@given(oscillations())
def test_no_flapping(case: tuple[Rule, list[Step]]) -> None:
    """Hovering below the lowest threshold but above clear_below neither resolves nor reopens."""
    _, (opening, *rest) = case
    assert opening.change is not None
    assert opening.change.kind == "opened"
    for step in rest:
        assert step.change is None or step.change.kind == "deescalated"
        assert step.after is not None
