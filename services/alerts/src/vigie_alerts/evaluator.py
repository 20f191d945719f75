"""Evaluation: the rules' windowed values per territory, read from the counters (never from raw
incidents), and the alert changes they make (lifecycle.decide), applied one (rule, territory)
at a time under a lock so that concurrent evaluations and replicas agree.

Two triggers: a counters.changed.v1 message re-evaluates exactly the (rule, territory) pairs
whose window it touched (the changed territories and those containing them); the sweep
re-evaluates everything, so that windows sliding past old incidents resolve alerts on time."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, TypeAlias

import asyncpg
import numpy as np

from vigie_alerts import repository
from vigie_alerts.anomaly import HISTORY_DAYS, anomaly_scores
from vigie_alerts.changes import ChangeContext, record_change, selection_of
from vigie_alerts.clock import Clock, paris_today
from vigie_alerts.delivery.repository import Conn
from vigie_alerts.lifecycle import Current, Reading, decide
from vigie_alerts.metrics import AlertsMetrics
from vigie_alerts.rules import Rule
from vigie_alerts.territories import TerritoryIndex, load_index

_log = logging.getLogger(__name__)

Trigger: TypeAlias = Literal["change", "sweep"]
# Changed counters: territory → days.
Changed: TypeAlias = Mapping[str, set[date]]
# Rules read at once, on this many connections: reading is most of a sweep's time, nearly all of
# it in the database, which spreads concurrent statements over its cores. Each rule's changes
# are applied as soon as it is read (different rules, different pairs: their locks never meet).
READ_CONCURRENCY = 4
# Changes applied per transaction: one commit per change made a burst of a thousand alerts
# spend seconds in commits alone; 25 keeps a failed change from taking many others with it.
# Up to APPLY_CONCURRENCY such transactions at once, for the whole evaluation: a change is
# about ten statements in series, each a round trip.
CHANGES_PER_TRANSACTION = 25
APPLY_CONCURRENCY = 4


@dataclass(frozen=True)
class StoredRule:
    """A rule as stored, validated."""

    rule_id: str
    rule: Rule


async def load_rules(conn: Conn) -> list[StoredRule]:
    """Every enabled rule."""
    return load_rules_cached(await repository.rules(conn))


def load_rules_cached(rows: list[asyncpg.Record]) -> list[StoredRule]:
    """Every enabled rule of these rows, each body validated once (every message reads them)."""
    out = []
    for row in rows:
        rule = _parsed(row["body"])
        if rule.enabled:
            out.append(StoredRule(row["rule_id"], rule))
    return out


@functools.lru_cache(maxsize=1024)
def _parsed(body: str) -> Rule:
    return Rule.model_validate_json(body)


def scope_of(rule: Rule, index: TerritoryIndex) -> list[str]:
    """The territories a rule evaluates: those it names, every one of a kind, or every QPV."""
    scope = rule.scope
    if scope.territory_ids is not None:
        return [t for t in scope.territory_ids if t in index.territories]
    return list(index.by_kind.get(scope.territory_kind or "qpv", ()))


def coverage(index: TerritoryIndex) -> dict[str, int]:
    """How many territories each one covers: itself and its descendants."""
    covers: Counter[str] = Counter()
    for territory_id in index.territories:
        covers.update(index.ancestors_of(territory_id))
    return dict(covers)


def days_read(rule: Rule) -> int:
    """How many days back from today the rule's value depends on."""
    return rule.window_days + (HISTORY_DAYS if rule.metric == "anomaly" else 0)


async def readings(
    conn: Conn,
    rule: Rule,
    territory_ids: list[str],
    *,
    today: date,
    index: TerritoryIndex,
    covered: int | None = None,
) -> tuple[dict[str, Reading], list[str]]:
    """The rule's value per territory, and the territories skipped (a rate without dwellings);
    `covered`: how many territories the ids cover with their descendants (None: many)."""
    selection = selection_of(rule)
    window_first = today - timedelta(days=rule.window_days - 1)
    if rule.metric == "anomaly":
        span = days_read(rule)
        rows = await repository.daily_counts(
            conn,
            territory_ids,
            today - timedelta(days=span - 1),
            today,
            selection=selection,
            covered=covered,
        )
        position = {tid: i for i, tid in enumerate(territory_ids)}
        daily = np.zeros((len(territory_ids), span))
        for row in rows:
            daily[position[row["territory_id"]], row["days"]] = row["counts"]
        scores = anomaly_scores(daily, window_days=rule.window_days)
        counts = daily[:, -rule.window_days :].sum(axis=1)
        return {
            tid: Reading(value=float(scores[i]), count=int(counts[i]))
            for i, tid in enumerate(territory_ids)
        }, []
    counts_by_territory = await repository.window_counts(
        conn, territory_ids, window_first, today, selection=selection, covered=covered
    )
    out: dict[str, Reading] = {}
    skipped: list[str] = []
    for tid in territory_ids:
        count = counts_by_territory.get(tid, 0)
        if rule.metric == "count":
            out[tid] = Reading(value=float(count), count=count)
            continue
        dwellings = index.territories[tid].social_dwellings
        if not dwellings:
            skipped.append(tid)
            continue
        out[tid] = Reading(value=count * 1000.0 / dwellings, count=count)
    return out, skipped


class Evaluator:
    """Evaluates rules and applies the changes; `on_change` runs after each committed batch of
    changes."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        clock: Clock,
        metrics: AlertsMetrics,
        dashboard_url: str,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._metrics = metrics
        self._dashboard_url = dashboard_url
        self._on_change = on_change
        self._index = TerritoryIndex()
        self._covers: dict[str, int] = {}
        # One evaluation at a time in this process: a message and the sweep would otherwise read
        # the same alerts and both try the same change (the pair lock would make one a no-op,
        # at the price of the work).
        self._lock = asyncio.Lock()
        self._applying = asyncio.Semaphore(APPLY_CONCURRENCY)

    @property
    def index(self) -> TerritoryIndex:
        """The territory reference last loaded."""
        return self._index

    async def reload_territories(self) -> None:
        """Read the territory reference again (it changes with `vigie territories import`)."""
        async with self._pool.acquire() as conn:
            self._index = await load_index(conn)
        self._covers = coverage(self._index)

    async def evaluate(self, *, changed: Changed | None, trigger: Trigger) -> int:
        """Evaluate the pairs these changes touched (None: every pair); the changes made."""
        if not self._index.territories:
            await self.reload_territories()
        started = time.perf_counter()
        async with self._lock:
            made = await self._evaluate(changed)
        self._metrics.evaluation_seconds.labels(trigger).observe(time.perf_counter() - started)
        return made

    async def _evaluate(self, changed: Changed | None) -> int:
        now = self._clock()
        today = paris_today(now)
        async with self._pool.acquire() as conn:
            every = load_rules_cached(await repository.rules(conn))
            scopes = {item.rule_id: self._scope(item.rule, changed, today) for item in every}
            stored = [item for item in every if scopes[item.rule_id]]
            if not stored:
                return 0
            # The live alerts of every rule in one read; then each of READ_CONCURRENCY
            # connections reads its share of the rules.
            on = None if changed is None else sorted(set().union(*scopes.values()))
            live: dict[str, dict[str, asyncpg.Record]] = {}
            for row in await repository.live_alerts_on(conn, on):
                live.setdefault(row["rule_id"], {})[row["territory_id"]] = row
        # Cheapest first: a count crossing does not wait for the anomaly rules' history.
        stored.sort(key=lambda item: days_read(item.rule))
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(
                    self._read_and_apply(
                        stored[n::READ_CONCURRENCY], scopes, live, full=changed is None, now=now
                    )
                )
                for n in range(min(READ_CONCURRENCY, len(stored)))
            ]
        return sum(task.result() for task in tasks)

    def _scope(self, rule: Rule, changed: Changed | None, today: date) -> list[str]:
        """The territories of the rule's scope to evaluate: all, or those the changes touched."""
        scope = scope_of(rule, self._index)
        if changed is None:
            return scope
        oldest = today - timedelta(days=days_read(rule) - 1)
        touched = {t for t, days in changed.items() if any(oldest <= d <= today for d in days)}
        affected = self._index.affected_by(touched)
        return [t for t in scope if t in affected]

    async def _read_and_apply(
        self,
        stored: list[StoredRule],
        scopes: Mapping[str, list[str]],
        live: Mapping[str, dict[str, asyncpg.Record]],
        *,
        full: bool,
        now: datetime,
    ) -> int:
        """Read these rules over their scopes on one connection, applying each one's changes
        once it is read; a full evaluation records each rule's status. The changes made."""
        made = 0
        today = paris_today(now)
        trigger: Trigger = "sweep" if full else "change"
        async with self._pool.acquire() as conn:
            for item in stored:
                scope = scopes[item.rule_id]
                covered = sum(self._covers.get(t, 1) for t in scope)
                values, skipped = await readings(
                    conn, item.rule, scope, today=today, index=self._index, covered=covered
                )
                if full:
                    await repository.record_rule_status(
                        conn, item.rule_id, at=now, evaluated=len(values), skipped=skipped
                    )
                self._metrics.evaluations.labels(trigger).inc(len(values))
                made += await self._apply_readings(
                    item, values, live.get(item.rule_id, {}), now=now
                )
        return made

    async def _apply_readings(
        self,
        item: StoredRule,
        values: dict[str, Reading],
        live: dict[str, asyncpg.Record],
        *,
        now: datetime,
    ) -> int:
        """Apply the changes these readings make, CHANGES_PER_TRANSACTION pairs per transaction,
        the pairs locked in territory order so that replicas and concurrent evaluations cannot
        deadlock."""
        due = []
        for territory_id in sorted(values):
            row = live.get(territory_id)
            current = Current(row["level"], row["notified_level"]) if row else None
            if decide(item.rule, current, values[territory_id]) is not None:
                due.append(territory_id)
        chunks = [
            due[start : start + CHANGES_PER_TRANSACTION]
            for start in range(0, len(due), CHANGES_PER_TRANSACTION)
        ]
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(self._apply_chunk(item, chunk, values, now=now))
                for chunk in chunks
            ]
        return sum(task.result() for task in tasks)

    async def _apply_chunk(
        self, item: StoredRule, chunk: list[str], values: dict[str, Reading], *, now: datetime
    ) -> int:
        """One transaction of changes. Chunks run concurrently (APPLY_CONCURRENCY at most): each
        locks its own ascending range of pairs, so no two can wait on each other."""
        async with self._applying, self._pool.acquire() as conn, conn.transaction():
            applied = [await self._apply(conn, item, t, values[t], now=now) for t in chunk]
        made = 0
        for kind in applied:
            if kind is not None:
                self._metrics.changes.labels(kind).inc()
                made += 1
        if made:
            self._on_change()
        return made

    async def _apply(
        self, conn: Conn, item: StoredRule, territory_id: str, reading: Reading, *, now: datetime
    ) -> str | None:
        """Apply the pair's change under its lock (held until the caller's transaction ends),
        deciding again on the alert as it is now; the kind of change made, if any."""
        rule = item.rule
        await repository.lock_pair(conn, item.rule_id, territory_id)
        row = await repository.live_alert_for_pair(conn, item.rule_id, territory_id)
        current = Current(row["level"], row["notified_level"]) if row else None
        change = decide(rule, current, reading)
        if change is None:
            return None
        if row is None:
            alert = await repository.insert_alert(
                conn,
                alert_id=uuid.uuid4(),
                rule_id=item.rule_id,
                territory_id=territory_id,
                landlord_id=rule.scope.landlord_id,
                level=change.level,
                notified_level=change.notified_level,
                value=reading.value,
                count=reading.count,
                threshold=change.threshold,
                window_days=rule.window_days,
                at=now,
            )
        else:
            # Resolved by itself; an escalation to a level nobody was told of needs a new
            # acknowledgement; otherwise (a level already notified) the state stays, so that an
            # acknowledged alert is not silently reopened and sent to the escalation tier.
            reopen = change.kind == "escalated" and change.notify
            state = "resolved" if change.kind == "resolved" else "open" if reopen else row["state"]
            alert = await repository.update_alert(
                conn,
                row["alert_id"],
                state=state,
                level=change.level,
                notified_level=change.notified_level,
                value=reading.value,
                count=reading.count,
                threshold=change.threshold,
                at=now,
            )
        context = ChangeContext(rule, self._index, self._dashboard_url, now)
        await record_change(
            conn,
            alert,
            context,
            kind=change.kind,
            previous_level=change.previous_level,
            notify=change.notify,
        )
        return change.kind
