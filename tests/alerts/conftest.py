"""Alerts fixtures: the real app served against the real database and broker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.alerts import ManualClock
from tests.support.alerts_service import NOW, AlertsService, serve_alerts


@pytest.fixture
async def alerts(database_url: str, kafka_bootstrap: str) -> AsyncIterator[AlertsService]:
    """The alerts app, its clock at NOW; sweeps only when the test calls them."""
    async with serve_alerts(
        database_url=database_url, bootstrap=kafka_bootstrap, clock=ManualClock(NOW)
    ) as service:
        yield service
