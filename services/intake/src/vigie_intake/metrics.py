"""The intake's own Prometheus metrics (FastStream's Kafka middleware adds the bus metrics to the
same registry). Label values are bounded: reasons are a fixed set, landlords are few."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

NO_LANDLORD = "-"


class IntakeMetrics:
    """Accepted and rejected events, and the time the broker takes to acknowledge."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.accepted = Counter(
            "vigie_incidents_accepted_total",
            "Events acknowledged by the broker and answered 202/200.",
            ["landlord_id"],
            registry=registry,
        )
        self.rejected = Counter(
            "vigie_incidents_rejected_total",
            "Events refused, by reason (invalid, unknown_territory, wrong_landlord,"
            " broker_unavailable); a request refused before its events are read counts once"
            " (unauthenticated, forbidden, rate_limited, too_large, unsupported_media_type).",
            ["reason", "landlord_id"],
            registry=registry,
        )
        self.publish_seconds = Histogram(
            "vigie_intake_publish_seconds",
            "Time from handing events to the producer to the broker's acknowledgement of all.",
            ["endpoint"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0),
            registry=registry,
        )

    def observe_publish(self, endpoint: str, seconds: float) -> None:
        """Record how long the broker took to acknowledge a request's events."""
        self.publish_seconds.labels(endpoint).observe(seconds)

    def accept(self, landlord_id: str | None, count: int = 1) -> None:
        """Count accepted events."""
        if count:
            self.accepted.labels(landlord_id or NO_LANDLORD).inc(count)

    def reject(self, reason: str, landlord_id: str | None, count: int = 1) -> None:
        """Count refused events."""
        if count:
            self.rejected.labels(reason, landlord_id or NO_LANDLORD).inc(count)
