"""Settings of the aggregator process."""

from pydantic import AliasChoices, Field

from vigie.platform.settings import ServiceSettings


class AggregatorSettings(ServiceSettings):
    """Environment of the aggregator service (docs/contract.md §1) and its tuning knobs."""

    port: int = Field(default=8082, validation_alias=AliasChoices("AGGREGATOR_PORT", "port"))
    replica: int = Field(default=0, ge=0, validation_alias=AliasChoices("VIGIE_REPLICA", "replica"))
    group_id: str = Field(
        default="aggregator", validation_alias=AliasChoices("AGGREGATOR_GROUP_ID", "group_id")
    )
    # ~10k records per transaction: one statement's fixed costs are amortised, and a batch
    # still commits well within a second.
    batch_max_records: int = Field(
        default=10_000,
        ge=1,
        validation_alias=AliasChoices("AGGREGATOR_BATCH_MAX_RECORDS", "batch_max_records"),
    )
    fetch_timeout_ms: int = Field(
        default=100,
        ge=0,
        validation_alias=AliasChoices("AGGREGATOR_FETCH_TIMEOUT_MS", "fetch_timeout_ms"),
    )
    # How long the group waits for a member that stopped answering (e.g. killed) before its
    # partitions move to the others.
    session_timeout_ms: int = Field(
        default=10_000,
        ge=1000,
        validation_alias=AliasChoices("AGGREGATOR_SESSION_TIMEOUT_MS", "session_timeout_ms"),
    )
    # Incident details older than this many years are purged (vigie_aggregator.retention);
    # the counters stay exact. 5: the span intake accepts for occurred_at.
    retention_years: int = Field(
        default=5,
        ge=1,
        le=100,
        validation_alias=AliasChoices("VIGIE_RETENTION_YEARS", "retention_years"),
    )
    # How often the aggregator purges (a round scans incidents once): daily.
    retention_interval_s: float = Field(
        default=86_400.0,
        gt=0,
        validation_alias=AliasChoices("AGGREGATOR_RETENTION_INTERVAL_S", "retention_interval_s"),
    )
