"""Date logic of the reporting API, pure: periods, their defaults and buckets.

A period is a pair of dates, both inclusive, in the Europe/Paris calendar (the counters' `day`).
When the caller gives neither end, the period is the last 30 days ending today in Paris; when it
gives one end only, the other is placed so that the period still lasts 30 days. Trends compare a
period with the previous one of equal length, ending the day before it starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, TypeAlias
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
DEFAULT_DAYS = 30
MAX_DAYS = 366 * 6  # incidents are at most 5 years old; a longer range is a typo

Bucket: TypeAlias = Literal["day", "week", "month"]


class InvalidPeriod(ValueError):
    """A period that cannot be served; `field` names the offending parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Period:
    """Inclusive dates."""

    start: date
    end: date

    @property
    def days(self) -> int:
        """How many days the period covers."""
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of equal length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)


def today_in_paris(now: datetime | None = None) -> date:
    """Today's date in Europe/Paris."""
    return (now or datetime.now(tz=PARIS)).astimezone(PARIS).date()


def resolve_period(start: date | None, end: date | None, *, today: date) -> Period:
    """The period asked for, with the defaults filled in; InvalidPeriod when it makes no sense."""
    span = timedelta(days=DEFAULT_DAYS - 1)
    if start is None and end is None:
        end = today
    if end is None:
        assert start is not None
        end = start + span
    if start is None:
        start = end - span
    if start > end:
        raise InvalidPeriod("from", "`from` must be on or before `to`")
    period = Period(start, end)
    if period.days > MAX_DAYS:
        raise InvalidPeriod("from", f"a period may not exceed {MAX_DAYS} days")
    return period


def bucket_start(day: date, bucket: Bucket) -> date:
    """The first day of the bucket holding `day` (weeks start on Monday, as in PostgreSQL)."""
    if bucket == "day":
        return day
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def bucket_starts(period: Period, bucket: Bucket) -> list[date]:
    """Every bucket start that overlaps the period, in order (so empty buckets show as 0)."""
    starts: list[date] = []
    current = bucket_start(period.start, bucket)
    while current <= period.end:
        starts.append(current)
        current = _next_bucket(current, bucket)
    return starts


def _next_bucket(start: date, bucket: Bucket) -> date:
    if bucket == "day":
        return start + timedelta(days=1)
    if bucket == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def trend_pct(current: int, previous: int) -> float | None:
    """Change in percent from the previous period; None when there was nothing before."""
    if previous == 0:
        return None
    return round((current - previous) * 100.0 / previous, 1)
