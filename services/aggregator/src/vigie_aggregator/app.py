"""Wiring of the aggregator service: the only place that builds its resources."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from vigie.contract import topics
from vigie.platform.db import check_database, create_pool
from vigie.platform.health import Check, health_router
from vigie.platform.known_territories import KnownTerritories
from vigie_aggregator.consumer import BatchConsumer, WaitForBatch
from vigie_aggregator.metrics import create_metrics
from vigie_aggregator.settings import AggregatorSettings

log = logging.getLogger(__name__)
STOP_TIMEOUT_S = 10.0


def create_app(settings: AggregatorSettings) -> FastAPI:
    """The aggregator ASGI app; its consumer loop runs with the app's lifespan."""
    registry = CollectorRegistry()
    metrics = create_metrics(registry)
    checks: dict[str, Check] = {}
    client_id = f"vigie-aggregator-{settings.replica}"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A small pool: one connection does the batches, the others serve checks and the outbox.
        pool = await create_pool(settings.dsn, min_size=1, max_size=3)
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka,
            client_id=client_id,
            acks="all",
            enable_idempotence=False,  # the local broker has no idempotent producer
            linger_ms=5,
        )
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka,
            client_id=client_id,
            group_id=settings.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=settings.session_timeout_ms,
            heartbeat_interval_ms=max(settings.session_timeout_ms // 5, 500),
            max_partition_fetch_bytes=4 * 2**20,
        )
        territories = KnownTerritories()
        await territories.start(pool)
        await producer.start()
        await consumer.start()
        loop = BatchConsumer(
            consumer=consumer,
            producer=producer,
            pool=pool,
            territories=territories,
            metrics=metrics,
            max_records=settings.batch_max_records,
            fetch_timeout_ms=settings.fetch_timeout_ms,
        )
        consumer.subscribe([topics.INCIDENTS], listener=WaitForBatch(loop, metrics))
        task = asyncio.create_task(loop.run(), name="aggregator-consumer")

        async def consuming() -> None:
            if task.done():
                raise RuntimeError(f"consumer loop ended: {task.exception()!r}")

        async def broker() -> None:
            await producer.client.fetch_all_metadata()

        checks.update(database=lambda: check_database(pool), broker=broker, consumer=consuming)
        try:
            yield
        finally:
            checks.clear()
            loop.stop()
            try:
                await asyncio.wait_for(asyncio.shield(task), STOP_TIMEOUT_S)
            except Exception:  # a timeout or the loop's own failure: stop it regardless
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            await consumer.stop()
            await producer.stop()
            await territories.stop()
            await pool.close()

    app = FastAPI(title="Vigie aggregator", lifespan=lifespan)
    app.include_router(health_router(checks=lambda: checks, registry=registry))
    return app
