"""What the alerts service's request handlers use, built once by the app's lifespan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from vigie_alerts.clock import Clock
from vigie_alerts.evaluator import Evaluator
from vigie_alerts.stream import AlertStream


@dataclass(frozen=True)
class AlertsRuntime:
    """The pool, the evaluator, the live stream, the clock and what to wake after a change."""

    pool: asyncpg.Pool
    evaluator: Evaluator
    stream: AlertStream
    clock: Clock
    dashboard_url: str
    changed: Callable[[], None]  # a change committed: publish and deliver now
    rules_changed: Callable[[], None]  # a rule was written: sweep now
    reporting_url: str  # where signalements fetch the situation report
    reporting_timeout_s: float
    public_url: str | None  # the base of acknowledgement links (None: the request's)
