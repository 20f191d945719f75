"""Wiring of the alerts service: the only place that builds its resources."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from vigie.platform.db import check_database, create_pool
from vigie.platform.health import Check, health_router
from vigie_alerts.settings import AlertsSettings


def create_app(settings: AlertsSettings) -> FastAPI:
    """The alerts ASGI app; the pool and the broker open and close with its lifespan."""
    registry = CollectorRegistry()
    broker = KafkaBroker(
        settings.kafka,
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name="vigie-alerts")],
        client_id="vigie-alerts",
    )
    checks: dict[str, Check] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await create_pool(settings.dsn)
        await broker.start()
        checks.update(database=lambda: check_database(pool), broker=lambda: broker.ping(2.0))
        try:
            yield
        finally:
            checks.clear()
            await broker.stop()
            await pool.close()

    app = FastAPI(title="Vigie alerts", lifespan=lifespan)
    app.include_router(health_router(checks=lambda: checks, registry=registry))
    return app
