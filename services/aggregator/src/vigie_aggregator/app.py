"""Wiring of the aggregator service: the only place that builds its resources."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from vigie.db import check_database, create_pool
from vigie.health import Check, health_router
from vigie_aggregator.settings import AggregatorSettings


def create_app(settings: AggregatorSettings) -> FastAPI:
    """The aggregator ASGI app; the pool and the broker open and close with its lifespan."""
    registry = CollectorRegistry()
    broker = KafkaBroker(
        settings.kafka,
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name="vigie-aggregator")],
        client_id="vigie-aggregator",
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

    app = FastAPI(title="Vigie aggregator", lifespan=lifespan)
    app.include_router(health_router(checks=lambda: checks, registry=registry))
    return app
