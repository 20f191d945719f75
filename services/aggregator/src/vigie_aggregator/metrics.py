"""The aggregator's Prometheus metrics, on the process's own registry."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from vigie.contract import topics


@dataclass(frozen=True)
class AggregatorMetrics:
    """Domain metrics of the counting path."""

    applied: Counter
    duplicates: Counter
    stale: Counter
    dlq: Counter
    retries: Counter
    batch_size: Histogram
    batch_seconds: Histogram
    lag: Gauge
    assigned: Gauge


def create_metrics(registry: CollectorRegistry) -> AggregatorMetrics:
    """Register the metrics on `registry`."""
    return AggregatorMetrics(
        applied=Counter(
            "vigie_aggregator_events_applied",
            "Events that changed an incident's current state",
            registry=registry,
        ),
        duplicates=Counter(
            "vigie_aggregator_events_duplicate",
            "Events already applied (same event_id as the incident's current state)",
            registry=registry,
        ),
        stale=Counter(
            "vigie_aggregator_events_stale",
            "Events older than the incident's current (revision, event_id): no effect",
            registry=registry,
        ),
        dlq=Counter(
            "vigie_aggregator_events_dlq",
            f"Records sent to {topics.INCIDENTS_DLQ}",
            ["reason"],
            registry=registry,
        ),
        retries=Counter(
            "vigie_aggregator_batch_retries",
            "Batch transactions retried (deadlock, concurrent writer, database unavailable)",
            ["cause"],
            registry=registry,
        ),
        batch_size=Histogram(
            "vigie_aggregator_batch_records",
            "Records per consumed batch",
            buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10000, 20000),
            registry=registry,
        ),
        batch_seconds=Histogram(
            "vigie_aggregator_batch_seconds",
            "Time from a batch's fetch to its committed offsets",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        ),
        lag=Gauge(
            "vigie_aggregator_consumer_lag",
            "Records behind the partition's high watermark. APPROXIMATE on the local Tansu "
            "broker, whose end offsets lag the true high watermark (see BROKER-NOTES)",
            ["topic", "partition"],
            registry=registry,
        ),
        assigned=Gauge(
            "vigie_aggregator_assigned_partitions",
            "Partitions of incidents.v1 this member currently owns",
            registry=registry,
        ),
    )
