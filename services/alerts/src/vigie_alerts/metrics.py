"""The alerts service's Prometheus metrics, on the process's own registry."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass(frozen=True)
class AlertsMetrics:
    """Evaluations, alert changes, notifications and their outbox."""

    evaluations: Counter
    evaluation_seconds: Histogram
    changes: Counter
    alerts: Gauge
    notifications: Counter
    outbox_depth: Gauge
    crossing_to_delivery_seconds: Histogram


def create_metrics(registry: CollectorRegistry) -> AlertsMetrics:
    """Register the metrics on `registry`."""
    return AlertsMetrics(
        evaluations=Counter(
            "vigie_alerts_evaluations",
            "(rule, territory) pairs evaluated, by trigger (change, sweep)",
            ["trigger"],
            registry=registry,
        ),
        evaluation_seconds=Histogram(
            "vigie_alerts_evaluation_seconds",
            "Time to evaluate the pairs of one counters.changed message or one sweep",
            ["trigger"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        ),
        changes=Counter(
            "vigie_alerts_changes",
            "Alert changes, by kind (opened, escalated, deescalated, acknowledged, resolved…)",
            ["kind"],
            registry=registry,
        ),
        alerts=Gauge(
            "vigie_alerts_alerts",
            "Alerts by state and level (open and acknowledged; resolved in the last 24 h)",
            ["state", "level"],
            registry=registry,
        ),
        notifications=Counter(
            "vigie_alerts_notifications",
            "Notification attempts by channel (webhook, email) and outcome (delivered, failed, "
            "retry)",
            ["channel", "outcome"],
            registry=registry,
        ),
        outbox_depth=Gauge(
            "vigie_alerts_outbox_depth",
            "Waiting in the outboxes: notifications pending, alerts.v1 messages unpublished",
            ["outbox"],
            registry=registry,
        ),
        crossing_to_delivery_seconds=Histogram(
            "vigie_alerts_crossing_to_delivery_seconds",
            "From an alert's change to its notification's delivery, by channel",
            ["channel"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800),
            registry=registry,
        ),
    )
