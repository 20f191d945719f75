"""Wiring of the aggregator service: the only place that builds its resources."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from vigie.contract import topics
from vigie.platform.api import install_error_handlers
from vigie.platform.background import Periodic
from vigie.platform.db import check_database, create_pool
from vigie.platform.health import Check, health_router
from vigie.platform.http_metrics import instrument
from vigie.platform.kafka import broker_security, client_security
from vigie.platform.known_territories import KnownTerritories
from vigie.platform.security_headers import add_security_headers
from vigie_aggregator.consumer import BatchConsumer, WaitForBatch
from vigie_aggregator.metrics import create_metrics
from vigie_aggregator.retention import purge_expired
from vigie_aggregator.settings import AggregatorSettings

log = logging.getLogger(__name__)
# On SIGTERM the loop stops fetching and the batch in flight finishes: its transaction, its DLQ
# records and change messages, then its offsets (a 10,000-record batch takes well under 1 s; a
# broker or database outage makes it retry). Only past this time is it cancelled, to be re-read
# by the partition's next owner (a no-op in the database). Below the 60 s grace period of
# deploy/ minus the drain (VIGIE_DRAIN_S) and the requests in flight (vigie.platform.serve).
STOP_TIMEOUT_S = 40.0


def create_app(settings: AggregatorSettings) -> FastAPI:
    """The aggregator ASGI app; its consumer loop runs with the app's lifespan."""
    registry = CollectorRegistry()
    metrics = create_metrics(registry)
    checks: dict[str, Check] = {}
    client_id = f"vigie-aggregator-{settings.replica}"
    # FastStream's publish metrics (DLQ records, counters.changed messages) on our registry.
    bus_metrics = KafkaPrometheusMiddleware(registry=registry, app_name="vigie-aggregator")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A small pool: one connection does the batches, the others serve checks and the outbox.
        pool = await create_pool(settings.dsn, min_size=1, max_size=3)
        # What the aggregator publishes (a DLQ record per rejected event, a few change messages
        # per batch) goes through FastStream, as the intake's and the alerts' messages do.
        broker = KafkaBroker(
            settings.kafka,
            security=broker_security(settings),
            client_id=client_id,
            acks="all",
            enable_idempotence=False,  # the local broker has no idempotent producer
            linger_ms=5,
            middlewares=[bus_metrics],
        )
        # Reading incidents.v1 stays a bare aiokafka consumer driven by BatchConsumer, not a
        # FastStream subscriber, whose loop does not fit the batch path (FastStream 0.7.8):
        # - its ack commits every consumed position (`consumer.commit()` without offsets),
        #   while batches overlap (the next is fetched and decoded while one is in PostgreSQL)
        #   and each commits its own offsets, in order, once its DLQ records and change
        #   messages are acknowledged: committing more would lose a batch on a crash;
        # - it awaits the handler before its next fetch (no overlap) and hands over one fetch,
        #   often a few hundred records, where a batch collects up to 10,000;
        # - its default decoder JSON-decodes every record, which the contract's models then do
        #   again. Client CPU per record reading the 200,000 records of `bench.aggregator` from
        #   the embedded broker (2 shared, busy cores): bare getmany 3.6-5.0 µs, FastStream's
        #   batch subscriber 20-25 µs, 4.4-5.7 µs with a pass-through decoder; the aggregator
        #   spends ~12-14 µs per event in all (README, Benchmarks: 2.4-2.7 s for 200,000).
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka,
            client_id=client_id,
            group_id=settings.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=settings.session_timeout_ms,
            heartbeat_interval_ms=max(settings.session_timeout_ms // 5, 500),
            max_partition_fetch_bytes=4 * 2**20,
            **client_security(settings),
        )
        territories = KnownTerritories()
        await territories.start(pool)
        await broker.start()
        await consumer.start()
        loop = BatchConsumer(
            consumer=consumer,
            broker=broker,
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

        # Retention: a first round a minute after start (not in the start-up rush), then daily.
        retention = Periodic(
            lambda: purge_expired(pool, years=settings.retention_years),
            interval_s=settings.retention_interval_s,
            name="aggregator-retention",
            first_delay_s=60.0,
        )
        retention.start()
        checks.update(
            database=lambda: check_database(pool),
            broker=lambda: broker.ping(2.0),
            consumer=consuming,
        )
        try:
            yield
        finally:
            checks.clear()
            await retention.stop()
            loop.stop()
            try:
                await asyncio.wait_for(asyncio.shield(task), STOP_TIMEOUT_S)
            except Exception:  # a timeout or the loop's own failure: stop it regardless
                log.warning("consumer loop not stopped in %.0f s: cancelled", STOP_TIMEOUT_S)
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            await consumer.stop()
            await broker.stop()
            await territories.stop()
            await pool.close()

    app = FastAPI(title="Vigie aggregator", lifespan=lifespan)
    install_error_handlers(app)
    instrument(app, registry=registry)
    add_security_headers(app)
    app.include_router(health_router(checks=lambda: checks, registry=registry))
    return app
