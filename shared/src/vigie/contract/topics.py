"""Kafka topic names (docs/contract.md §6) and the internal ones."""

from typing import Final

INCIDENTS: Final = "incidents.v1"
INCIDENTS_DLQ: Final = "incidents.dlq.v1"
ALERTS: Final = "alerts.v1"
# Internal: the aggregator announces, after each committed batch, which (territory, day) pairs
# changed, so the alerts service re-evaluates only those.
COUNTERS_CHANGED: Final = "counters.changed.v1"
# Its message (no key; a hint, not data: re-read incident_counters to know the values):
#   {"version": 1, "committed_at": "2026-11-26T01:02:03.456+00:00",
#    "changes": [{"territory_id": "QN09301M", "days": ["2026-11-20", "2026-11-21"]}, ...]}
# Territories are those incidents name (QPVs); roll up through territory_ancestors. Each
# territory appears once per message with its days sorted; a batch touching many territories
# is split over several messages (at most COUNTERS_CHANGED_MAX_TERRITORIES each). Delivery is
# at least once (a transactional outbox in the aggregator's database survives crashes), so a
# pair may be announced twice; consumers must be idempotent.
COUNTERS_CHANGED_VERSION: Final = 1
COUNTERS_CHANGED_MAX_TERRITORIES: Final = 500

# Field cases (retours d'expérience) shared by the landlords' network, published by reporting
# from its outbox (key: the case id); message in docs/contract.md §6, model in
# vigie_reporting.cases. Masked texts only; at least once, so consumers are idempotent (revision).
CASES: Final = "cases.v1"

ALL: Final = (INCIDENTS, INCIDENTS_DLQ, ALERTS, COUNTERS_CHANGED, CASES)
