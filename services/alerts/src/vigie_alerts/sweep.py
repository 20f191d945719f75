"""The periodic sweep: every rule over its whole scope (windows slide past old incidents even
when nothing new arrives), alerts due for the escalation tier, silences that ended, and the
alerts gauge."""

from __future__ import annotations

import logging
from collections.abc import Callable

import asyncpg

from vigie_alerts import actions, repository
from vigie_alerts.clock import Clock
from vigie_alerts.evaluator import Evaluator
from vigie_alerts.metrics import AlertsMetrics

_log = logging.getLogger(__name__)


class Sweeper:
    """One sweep per call of `sweep`; `on_change` runs after it made changes."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        evaluator: Evaluator,
        clock: Clock,
        metrics: AlertsMetrics,
        dashboard_url: str,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self._pool = pool
        self._evaluator = evaluator
        self._clock = clock
        self._metrics = metrics
        self._dashboard_url = dashboard_url
        self._on_change = on_change

    async def sweep(self) -> int:
        """Evaluate everything, escalate, summarise silences; the changes made."""
        await self._evaluator.reload_territories()
        made = await self._evaluator.evaluate(changed=None, trigger="sweep")
        made += await self.escalate()
        made += await self.summarise_silences()
        await self.refresh_gauge()
        if made:
            self._on_change()
        return made

    async def escalate(self) -> int:
        """Tell the escalation tier about alerts still unacknowledged after their rule's delay."""
        now = self._clock()
        escalated = 0
        async with self._pool.acquire() as conn:
            due = await repository.alerts_to_escalate(conn, now)
            for alert_id in due:
                async with conn.transaction():
                    escalated += await actions.escalate_to_tier(
                        conn,
                        alert_id,
                        index=self._evaluator.index,
                        dashboard_url=self._dashboard_url,
                        now=now,
                    )
        if escalated:
            self._metrics.changes.labels("escalated_to_tier").inc(escalated)
        return escalated

    async def summarise_silences(self) -> int:
        """One summary notification per subscription for each silence that ended."""
        async with self._pool.acquire() as conn, conn.transaction():
            return await actions.summarise_ended_silences(conn, now=self._clock())

    async def refresh_gauge(self) -> None:
        """Alerts by state and level."""
        async with self._pool.acquire() as conn:
            rows = await repository.alerts_by_state(conn, self._clock())
        self._metrics.alerts.clear()
        for row in rows:
            self._metrics.alerts.labels(row["state"], row["level"]).set(row["n"])
