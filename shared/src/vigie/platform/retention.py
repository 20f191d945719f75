"""The retention period of personal and free-text details (VIGIE_RETENTION_YEARS): which days it
no longer keeps. Each owner purges its own tables (vigie_aggregator.retention: incidents;
vigie_intake.retention: Open311 requests)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

DEFAULT_YEARS = 5  # the span intake accepts for occurred_at
PARIS = ZoneInfo("Europe/Paris")  # the counters' days


def cutoff(today: date, years: int) -> date:
    """The first day kept: details of earlier days are purged (29 February → 28th)."""
    year = today.year - years
    try:
        return today.replace(year=year)
    except ValueError:
        return today.replace(year=year, day=28)


def first_kept_day(years: int) -> date:
    """`cutoff` of today in Paris."""
    return cutoff(datetime.now(PARIS).date(), years)
