"""Wiring of the intake service: the only place that builds its resources.

Start-up order: database pool, authenticator (LISTENs for key revocations), known territories,
then the producer. /health/ready checks the database and the broker for real each time.
One Prometheus registry serves /metrics: the intake's own metrics (`metrics.py`) and those of
FastStream's Kafka middleware on the broker the publisher sends with (`publisher.py`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from vigie.platform.api import AUTHENTICATOR, install_error_handlers
from vigie.platform.auth import Authenticator
from vigie.platform.background import Periodic
from vigie.platform.db import check_database, create_pool
from vigie.platform.health import Check, health_router
from vigie.platform.http_metrics import instrument
from vigie.platform.kafka import broker_security
from vigie.platform.known_territories import KnownTerritories
from vigie.platform.qpv_locator import reference_locator
from vigie.platform.security_headers import add_security_headers
from vigie_intake.api import intake_router
from vigie_intake.deps import POOL
from vigie_intake.ingest import Ingestor
from vigie_intake.metrics import IntakeMetrics
from vigie_intake.open311 import Open311Error, open311_error, open311_router
from vigie_intake.publisher import IncidentPublisher
from vigie_intake.rate_limit import RateLimiter
from vigie_intake.retention import purge_expired
from vigie_intake.settings import IntakeSettings
from vigie_intake.topics_contract import documents_router


def create_app(settings: IntakeSettings) -> FastAPI:
    """The intake ASGI app; the pool and the broker open and close with its lifespan."""
    registry = CollectorRegistry()
    publisher = IncidentPublisher(
        bootstrap_servers=settings.kafka,
        timeout_s=settings.publish_timeout_s,
        max_s=settings.batch_publish_max_s,
        linger_ms=settings.linger_ms,
        max_request_bytes=2 * settings.max_event_bytes,
        registry=registry,
        security=broker_security(settings),
    )
    metrics = IntakeMetrics(registry)
    limiter = RateLimiter(rate=settings.rate_per_s, burst=settings.rate_burst)
    territories = KnownTerritories(
        refresh_s=settings.territory_refresh_s,
        miss_refresh_s=settings.territory_miss_refresh_s,
    )
    ingestor = Ingestor(
        publisher=publisher,
        territories=territories,
        metrics=metrics,
        retry_after_s=settings.retry_after_s,
        max_batch_events=settings.max_batch_events,
    )
    checks: dict[str, Check] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Open the pool, the key listener, the territories and the producer; close them after."""
        pool = await create_pool(settings.dsn)
        retention: Periodic | None = None
        admin_token = settings.admin_token.get_secret_value() if settings.admin_token else None
        authenticator = Authenticator(pool, admin_token=admin_token)
        try:
            await authenticator.start()
            await territories.start(pool)
            await publisher.start()
            AUTHENTICATOR.set(app, authenticator)
            POOL.set(app, pool)
            # The QPV perimeters for Open311 points: parsed now, not on the first request.
            await asyncio.to_thread(reference_locator)
            checks.update(database=lambda: check_database(pool), broker=publisher.ping)
            # Retention of Open311 details: a first round a minute after start, then daily.
            retention = Periodic(
                lambda: purge_expired(pool, years=settings.retention_years),
                interval_s=settings.retention_interval_s,
                name="intake-retention",
                first_delay_s=60.0,
            )
            retention.start()
            yield
        finally:
            checks.clear()
            if retention is not None:
                await retention.stop()
            await publisher.stop()
            await territories.stop()
            await authenticator.stop()
            await pool.close()

    # FastAPI's OpenTelemetry hooks are off: metrics are Prometheus here, and checking for
    # OTel providers on every request was a visible cost on the single-event path.
    app = FastAPI(
        title="Vigie intake",
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_error_handlers(app)
    instrument(app, registry=registry)
    add_security_headers(app)
    app.add_exception_handler(Open311Error, open311_error)
    # The write routes first: routes are matched in order, and the single-event path is hot.
    app.include_router(
        intake_router(
            ingestor,
            limiter=limiter,
            metrics=metrics,
            max_event_bytes=settings.max_event_bytes,
            max_batch_bytes=settings.max_batch_bytes,
        )
    )
    app.include_router(health_router(checks=lambda: checks, registry=registry))
    app.include_router(documents_router())
    app.include_router(
        open311_router(ingestor, limiter=limiter, jurisdiction=settings.open311_jurisdiction)
    )
    return app
