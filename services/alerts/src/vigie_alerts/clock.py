"""The time, injectable: tests move it to make windows slide and escalation delays pass."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


def paris_today(now: datetime) -> date:
    """The date in Europe/Paris, the day of the counters (incidents count on their Paris date)."""
    return now.astimezone(PARIS).date()
