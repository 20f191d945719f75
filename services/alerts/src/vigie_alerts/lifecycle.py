"""The life of one alert (one per rule and territory at a time), with hysteresis so it does not
flap: what a new reading of the rule's windowed value changes, pure.

An alert opens when the value reaches a level and escalates when it reaches a higher one.
It goes down only once the value falls below `clear_ratio` × a threshold: below that of its
level it de-escalates (silently), below that of the lowest level it resolves. A value hovering
around a threshold therefore changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from vigie_alerts.rules import Level, Rule, level_rank

ChangeKind: TypeAlias = Literal["opened", "escalated", "deescalated", "resolved"]


@dataclass(frozen=True, slots=True)
class Reading:
    """The rule's windowed value for one territory, and the number of incidents behind it."""

    value: float
    count: int


@dataclass(frozen=True, slots=True)
class Current:
    """An open or acknowledged alert: its level, and the highest level notified in its life."""

    level: Level
    notified_level: Level


@dataclass(frozen=True, slots=True)
class Change:
    """What happens to the alert. `threshold` is the boundary crossed: going up, the new level's
    threshold; going down, clear_ratio × the threshold of the level just above the new one
    (clear_below() on resolving). `notified_level` is the alert's after the change."""

    kind: ChangeKind
    level: Level
    previous_level: Level | None
    threshold: float
    notify: bool
    notified_level: Level


def decide(rule: Rule, current: Current | None, reading: Reading) -> Change | None:
    """The change a reading makes to the rule's alert on a territory (None: nothing changes)."""
    reached = rule.level_for(value=reading.value, count=reading.count)
    if current is None:
        if reached is None:
            return None
        return Change(
            kind="opened",
            level=reached,
            previous_level=None,
            threshold=rule.threshold(reached),
            notify=True,
            notified_level=reached,
        )
    if reading.count == 0 or reading.value < rule.clear_below():
        return Change(
            kind="resolved",
            level=current.level,
            previous_level=current.level,
            threshold=rule.clear_below(),
            notify=True,
            notified_level=current.notified_level,
        )
    if reached is not None and level_rank(reached) > level_rank(current.level):
        # A level already announced in this alert's life is not announced again.
        news = level_rank(reached) > level_rank(current.notified_level)
        return Change(
            kind="escalated",
            level=reached,
            previous_level=current.level,
            threshold=rule.threshold(reached),
            notify=news,
            notified_level=reached if news else current.notified_level,
        )
    held, boundary = _held(rule, reading.value)
    if level_rank(held) < level_rank(current.level):
        return Change(
            kind="deescalated",
            level=held,
            previous_level=current.level,
            threshold=boundary,
            notify=False,
            notified_level=current.notified_level,
        )
    return None


def _held(rule: Rule, value: float) -> tuple[Level, float]:
    """The highest level the value still holds (clear_ratio × its threshold <= value, the lowest
    level at least), and clear_ratio × the threshold of the level above it, which the value is
    below.

    Worked out from the rule's levels, not the alert's: an alert at a level the rule no longer
    has (it was edited) then settles on one it has. If that lost level was above them all, no
    boundary was crossed and the held level's own threshold is reported."""
    given = rule.thresholds()
    index = 0
    for position, (_, threshold) in enumerate(given):
        if rule.clear_ratio * threshold <= value:
            index = position
    level, threshold = given[index]
    if index + 1 < len(given):
        return level, rule.clear_ratio * given[index + 1][1]
    return level, threshold
