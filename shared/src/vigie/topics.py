"""Kafka topic names (CONTRACT §6) and the internal ones."""

from typing import Final

INCIDENTS: Final = "incidents.v1"
INCIDENTS_DLQ: Final = "incidents.dlq.v1"
ALERTS: Final = "alerts.v1"
# Internal: the aggregator announces, after each committed batch, which (territory, day) pairs
# changed, so the alerts service re-evaluates only those.
COUNTERS_CHANGED: Final = "counters.changed.v1"

ALL: Final = (INCIDENTS, INCIDENTS_DLQ, ALERTS, COUNTERS_CHANGED)
