"""Wiring of the alerts service: the only place that builds its resources.

Where the decisions live: rules and their validation in `rules`, the life of an alert in
`lifecycle`, the anomaly score in `anomaly`, who is notified in `routing`, who sees what in
`access` (all pure); reading the counters and applying changes in `evaluator`, recording a
change (history, alerts.v1 outbox, notifications) in `changes`, acknowledgement, escalation and
silences in `actions`, the periodic sweep in `sweep`, alerts.v1 publishing in `publisher`, the
live stream in `stream`, notifications in `delivery/`; SQL in `sql/` behind `repository`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from vigie.contract import topics
from vigie.contract.counters_changed import CountersChanged
from vigie.platform.api import install_error_handlers
from vigie.platform.auth import Authenticator
from vigie.platform.background import Periodic
from vigie.platform.db import check_database, create_pool
from vigie.platform.health import Check, health_router
from vigie.platform.http_metrics import instrument
from vigie.platform.kafka import broker_security
from vigie.platform.security_headers import add_security_headers
from vigie_alerts.api import router
from vigie_alerts.clock import Clock, system_clock
from vigie_alerts.counters_changed import merged
from vigie_alerts.delivery import DeliveryWorker
from vigie_alerts.evaluator import Evaluator
from vigie_alerts.metrics import create_metrics
from vigie_alerts.publisher import EventPublisher
from vigie_alerts.runtime import AlertsRuntime
from vigie_alerts.settings import AlertsSettings
from vigie_alerts.stream import AlertStream
from vigie_alerts.sweep import Sweeper

_log = logging.getLogger(__name__)
# The alerts.v1 outbox is emptied at once after each change; this catches what a failed
# round or another replica's crash left.
PUBLISH_INTERVAL_S = 2.0
COUNTERS_BATCH = 500


def create_app(settings: AlertsSettings, *, clock: Clock = system_clock) -> FastAPI:
    """The alerts ASGI app; pool, broker, evaluator and workers live with its lifespan."""
    registry = CollectorRegistry()
    metrics = create_metrics(registry)
    broker = KafkaBroker(
        settings.kafka,
        security=broker_security(settings),
        acks="all",
        enable_idempotence=False,
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name="vigie-alerts")],
        client_id="vigie-alerts",
    )
    stream = AlertStream()
    checks: dict[str, Check] = {}
    started: dict[str, Evaluator] = {}
    admin_token = settings.admin_token.get_secret_value() if settings.admin_token else None

    # Offsets are committed after each message, whatever its outcome: one that fails (bad
    # shape, database down) is skipped, not retried for ever, since the next sweep evaluates
    # every pair anyway.
    # In batches: the messages waiting are merged into one evaluation, so that an evaluation
    # slower than the messages' pace (hundreds of QPVs a message at 500 events/s) catches up
    # instead of queueing.
    @broker.subscriber(
        topics.COUNTERS_CHANGED,
        group_id=settings.group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.ACK,
        batch=True,
        max_records=COUNTERS_BATCH,
    )
    async def on_counters_changed(messages: list[CountersChanged]) -> None:
        await started["evaluator"].evaluate(changed=merged(messages), trigger="change")

    # No consumer group: every replica hears every change, for its own SSE listeners.
    @broker.subscriber(topics.ALERTS, auto_offset_reset="latest")
    async def on_alert_change(change: dict[str, Any]) -> None:
        stream.publish(change)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await create_pool(settings.dsn, max_size=20)
        authenticator = Authenticator(pool, admin_token=admin_token)
        worker = DeliveryWorker(pool=pool, settings=settings, metrics=metrics, clock=clock)
        publisher = EventPublisher(pool=pool, broker=broker, metrics=metrics)
        publishing = Periodic(
            publisher.publish_pending, interval_s=PUBLISH_INTERVAL_S, name="alerts-publish"
        )

        def changed() -> None:
            publishing.wake()
            worker.wake()

        evaluator = Evaluator(
            pool=pool,
            clock=clock,
            metrics=metrics,
            dashboard_url=settings.dashboard_url,
            on_change=changed,
        )
        sweeper = Sweeper(
            pool=pool,
            evaluator=evaluator,
            clock=clock,
            metrics=metrics,
            dashboard_url=settings.dashboard_url,
            on_change=changed,
        )
        sweeping = Periodic(
            sweeper.sweep, interval_s=settings.sweep_interval_s, name="alerts-sweep"
        )
        await authenticator.start()
        await evaluator.reload_territories()
        started["evaluator"] = evaluator
        await broker.start()
        worker.start()
        publishing.start()
        sweeping.start()
        app.state.authenticator = authenticator
        app.state.sweeper = sweeper
        app.state.runtime = AlertsRuntime(
            pool=pool,
            evaluator=evaluator,
            stream=stream,
            clock=clock,
            dashboard_url=settings.dashboard_url,
            changed=changed,
            rules_changed=sweeping.wake,
            reporting_url=settings.reporting_url,
            reporting_timeout_s=settings.reporting_timeout_s,
            public_url=settings.public_url,
        )
        checks.update(database=lambda: check_database(pool), broker=lambda: broker.ping(2.0))
        try:
            yield
        finally:
            checks.clear()
            del app.state.runtime
            await sweeping.stop()
            await broker.stop()
            await publishing.stop()
            await worker.stop()
            await authenticator.stop()
            await pool.close()

    app = FastAPI(title="Vigie alerts", lifespan=lifespan)
    install_error_handlers(app)
    instrument(app, registry=registry)
    add_security_headers(app)
    app.include_router(router)
    app.include_router(health_router(checks=lambda: checks, registry=registry))
    return app
