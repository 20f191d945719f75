"""Wiring of the reporting service: the only place that builds its resources.

Where the decisions live: access rules in `access`, periods and defaults in `periods`, the
summary's figures in `figures`, suppression in `suppression`, SQL (territory levels through
`territory_ancestors`, landlord filters) in `sql/` behind `repository`, what counters.changed.v1
tells in `changes`, roll-ups and their freshness in `rollups`, alerts in `alerts_feed`, the
handlers' dependencies in `api.deps`, the dashboard and its authentication in `pages` and
`static/app.js`; services/reporting/README.md sums them up.

The pool runs with `plan_cache_mode = force_custom_plan`: one statement serves a QPV (a few
counter rows) and France (tens of thousands), so a generic plan fitted to one would hurt the
other, and optional filters written `$n IS NULL OR …` fold away; planning costs well under a
millisecond."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from vigie.contract.nomenclature import default_nomenclature
from vigie.platform.api import install_error_handlers
from vigie.platform.auth import Authenticator
from vigie.platform.db import check_database
from vigie.platform.health import Check, health_router
from vigie.platform.http_metrics import instrument
from vigie.platform.kafka import broker_security
from vigie.platform.security_headers import DASHBOARD_CSP, add_security_headers
from vigie_reporting.alerts_feed import AlertsFeed
from vigie_reporting.api import router
from vigie_reporting.api.deps import Resources
from vigie_reporting.cases_publisher import CasePublisher
from vigie_reporting.changes import ChangesFollower
from vigie_reporting.pages import pages_router, static_files, warm_map
from vigie_reporting.rollups import rollup_keeper
from vigie_reporting.settings import ReportingSettings


async def open_pool(dsn: str, *, size: int) -> asyncpg.Pool:
    """The reporting pool: UTC sessions, custom plans, named in pg_stat_activity."""
    return await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=size,
        command_timeout=60,
        server_settings={
            "timezone": "UTC",
            "application_name": "vigie-reporting",
            "plan_cache_mode": "force_custom_plan",
        },
    )


def create_app(settings: ReportingSettings) -> FastAPI:
    """The reporting ASGI app; the pool, the broker (and its counters.changed.v1 subscriber),
    the roll-up refresh and the alerts feed live with its lifespan."""
    registry = CollectorRegistry()
    broker = KafkaBroker(
        settings.kafka,
        security=broker_security(settings),
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name="vigie-reporting")],
        client_id="vigie-reporting",
    )
    changes = ChangesFollower()
    changes.subscribe(
        broker, group_id=settings.group_id, session_timeout_ms=settings.session_timeout_ms
    )
    checks: dict[str, Check] = {}
    admin_token = settings.admin_token.get_secret_value() if settings.admin_token else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Open the pool, the authenticator, the broker and the background tasks."""
        pool = await open_pool(settings.dsn, size=settings.pool_size)
        authenticator = Authenticator(pool, admin_token=admin_token)
        alerts = AlertsFeed(settings.alerts_base_url, admin_token=admin_token)
        rollups = rollup_keeper(pool)
        cases = CasePublisher(pool=pool, broker=broker)
        changes.open(pool, on_full_rebuild=rollups.wake)
        await authenticator.start()
        await broker.start()  # returns once the subscriber has joined its group
        await changes.offsets_checked()  # a full rebuild it asks is the first refresh's
        alerts.start()
        rollups.start()
        cases.start()
        warming = asyncio.create_task(warm_map(), name="warm-map")
        app.state.authenticator = authenticator  # read by vigie.platform.api.current_principal
        app.state.resources = Resources(
            pool=pool, alerts=alerts, nomenclature=default_nomenclature(), cases=cases
        )
        checks.update(database=lambda: check_database(pool), broker=lambda: broker.ping(2.0))
        try:
            yield
        finally:
            checks.clear()
            await warming
            await rollups.stop()
            await cases.stop()
            await alerts.stop()
            await broker.stop()
            await authenticator.stop()
            await pool.close()

    app = FastAPI(title="Vigie reporting", lifespan=lifespan)
    install_error_handlers(app)
    instrument(app, registry=registry)
    # The dashboard is served here: the policy on every answer, HTML or not.
    add_security_headers(app, csp=DASHBOARD_CSP)
    app.include_router(health_router(checks=lambda: checks, registry=registry))
    app.include_router(router)
    app.include_router(pages_router())
    app.mount("/static", static_files(), name="static")
    return app
