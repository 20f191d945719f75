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
