"""Who receives an alert change, whether a silence holds it back, and when to retry a delivery,
pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from vigie_alerts.rules import Level, level_rank

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A recipient's interest: alerts from min_level up, on some territories (None: all, with
    the territories below them) and some landlord's rules (None: any). An escalation-tier
    subscription receives only the escalations of unacknowledged alerts, and nothing else."""

    subscription_id: str
    min_level: Level
    territory_ids: frozenset[str] | None
    landlord_id: str | None
    escalation: bool

    def __post_init__(self) -> None:
        if self.territory_ids is not None and not self.territory_ids:
            raise ValueError("territory_ids must be None (everywhere) or name a territory")


def subscription_matches(
    sub: Subscription,
    *,
    level: Level,
    territory_and_ancestors: frozenset[str],
    rule_landlord_id: str | None,
    escalation: bool = False,
) -> bool:
    """Whether a delivery at this level, for an alert on this territory (given with every
    territory containing it), goes to the subscription; `escalation` for the escalation tier."""
    return (
        sub.escalation == escalation
        and level_rank(level) >= level_rank(sub.min_level)
        # A subscription for a département receives the alerts of its QPVs.
        and (sub.territory_ids is None or not sub.territory_ids.isdisjoint(territory_and_ancestors))
        and (sub.landlord_id is None or sub.landlord_id == rule_landlord_id)
    )


@dataclass(frozen=True, slots=True)
class Silence:
    """No notification, from starts_at (included) to ends_at (excluded), for a rule, a territory
    (with the territories below it) or one rule on one territory. The constructor refuses a
    silence naming neither (it would silence everything) and an empty or naive period, so
    that the API and the database can rely on it."""

    silence_id: str
    territory_id: str | None
    rule_id: str | None
    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        if self.territory_id is None and self.rule_id is None:
            raise ValueError("a silence must name a territory_id, a rule_id or both")
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("a silence's starts_at and ends_at must carry a time zone")
        if self.ends_at <= self.starts_at:
            raise ValueError("a silence must end after it starts")

    def holds(self, *, rule_id: str, territory_and_ancestors: frozenset[str], at: datetime) -> bool:
        """Whether the silence covers this rule's alert on this territory at this moment."""
        return (
            self.starts_at <= at < self.ends_at
            and (self.rule_id is None or self.rule_id == rule_id)
            and (self.territory_id is None or self.territory_id in territory_and_ancestors)
        )


def active_silence(
    silences: Iterable[Silence],
    *,
    rule_id: str,
    territory_and_ancestors: frozenset[str],
    at: datetime,
) -> Silence | None:
    """The first silence covering this rule's alert on this territory at this moment, if any."""
    return next(
        (
            s
            for s in silences
            if s.holds(rule_id=rule_id, territory_and_ancestors=territory_and_ancestors, at=at)
        ),
        None,
    )


def retry_delay(attempt: int) -> timedelta:
    """How long to wait after failed attempt number `attempt` (from 1) of a webhook or e-mail
    delivery: 30 s, doubling, at most an hour. No jitter here, to stay pure; add it outside."""
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, not {attempt}")
    # Capping the exponent first keeps the multiplier small for absurd attempt numbers.
    return min(FIRST_RETRY * (1 << min(attempt - 1, 16)), LONGEST_RETRY)
