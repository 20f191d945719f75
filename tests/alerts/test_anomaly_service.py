"""The anomaly metric through the running service: a territory's last week against its own 12
weeks before, read from the counters. The usual fires nothing, twice the usual fires at the
level its score reaches (vigie_alerts.anomaly)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.support.alerts_service import AlertsService
from vigie_alerts.anomaly import HISTORY_DAYS, anomaly_score

pytestmark = pytest.mark.connected

LANDY = "QN09337M"  # Plaine - Landy - Bailly (93): the same every day
GARE = "QN09301I"  # Secteur Gare - Aviatic (93): busy at weekends, every weekend
TODAY = date(2026, 11, 25)
WINDOW = 7
# Surprise scores for tail probabilities of 1 %, 0.1 % and 0.01 %.
LEVELS = {"vigilance": 2, "alerte": 3, "critique": 4}
# Oldest first: 12 weeks of history, then the window that ends today.
DAYS = [TODAY - timedelta(days=HISTORY_DAYS + WINDOW - 1 - i) for i in range(HISTORY_DAYS + WINDOW)]

UNUSUAL = {
    "name": "Dégradations inhabituelles",
    "scope": {"territory_ids": [LANDY, GARE]},
    "selector": {"categories": ["BIE-DEG"]},
    "window_days": WINDOW,
    "metric": "anomaly",
    "levels": LEVELS,
}


def usual(territory_id: str, day: date) -> int:
    """A day's incidents in an ordinary week."""
    if territory_id == GARE:
        return 6 if day.weekday() >= 5 else 1
    return 3


async def test_the_usual_week_fires_nothing_and_twice_the_usual_fires(
    alerts: AlertsService,
) -> None:
    for territory_id in (LANDY, GARE):
        for day in DAYS:
            await alerts.set_count(territory_id, day, "BIE-DEG", usual(territory_id, day))
    async with alerts.client() as api:
        assert (await api.put("/v1/rules/unusual", json=UNUSUAL)).status_code == 201
        assert await alerts.sweeper.sweep() == 0
        rule = (await api.get("/v1/rules/unusual")).json()
        assert (rule["status"]["territories_evaluated"], rule["status"]["skipped"]) == (2, [])
        assert (await api.get("/v1/alerts")).json() == {"alerts": []}

        # Twice the usual this week, in both.
        window = DAYS[-WINDOW:]
        for territory_id in (LANDY, GARE):
            for day in window:
                await alerts.set_count(territory_id, day, "BIE-DEG", 2 * usual(territory_id, day))
        await alerts.announce([(t, day) for t in (LANDY, GARE) for day in window])

        for territory_id, level in ((LANDY, "critique"), (GARE, "alerte")):
            daily = [usual(territory_id, d) for d in DAYS[:HISTORY_DAYS]]
            daily += [2 * usual(territory_id, d) for d in window]
            expected = anomaly_score(daily, window_days=WINDOW)
            alert = await alerts.only_alert(api, rule_id="unusual", territory_id=territory_id)
            assert alert["value"] == pytest.approx(expected), territory_id
            assert alert["level"] == level, (territory_id, expected)
            assert alert["count"] == sum(daily[-WINDOW:])
            assert alert["threshold"] == LEVELS[level]
