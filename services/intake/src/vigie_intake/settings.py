"""Settings of the intake process.

Limits and timings are settings so that tests and the benchmark can change them; the defaults are
the contract's (§5) and generous enough for the demo feed."""

from pydantic import AliasChoices, Field

from vigie.platform.settings import ServiceSettings

MIB = 1024 * 1024


def _env(name: str) -> AliasChoices:
    """The environment variable name, or the field name for code that builds settings."""
    return AliasChoices(name, name.removeprefix("INTAKE_").lower())


class IntakeSettings(ServiceSettings):
    """Environment of the intake service (docs/contract.md §1)."""

    port: int = Field(default=8081, validation_alias=AliasChoices("INTAKE_PORT", "port"))
    # Per API key, in requests (a batch counts as one request): a landlord system posting
    # events one by one stays far below this; the load of `vigie simulate` too.
    rate_per_s: float = Field(default=200.0, gt=0, validation_alias=_env("INTAKE_RATE_PER_S"))
    rate_burst: float = Field(default=400.0, ge=1, validation_alias=_env("INTAKE_RATE_BURST"))
    # The broker must acknowledge within this time, else 503: below the 2 s the contract allows.
    publish_timeout_s: float = Field(
        default=1.5, gt=0, le=2.0, validation_alias=_env("INTAKE_PUBLISH_TIMEOUT_S")
    )
    # A batch is given up when no acknowledgement came for `publish_timeout_s`, or after this.
    batch_publish_max_s: float = Field(
        default=30.0, gt=0, validation_alias=_env("INTAKE_BATCH_PUBLISH_MAX_S")
    )
    retry_after_s: int = Field(default=2, ge=1, validation_alias=_env("INTAKE_RETRY_AFTER_S"))
    linger_ms: int = Field(default=0, ge=0, validation_alias=_env("INTAKE_LINGER_MS"))
    max_event_bytes: int = Field(default=MIB, ge=1, validation_alias=_env("INTAKE_MAX_EVENT_BYTES"))
    max_batch_bytes: int = Field(
        default=16 * MIB, ge=1, validation_alias=_env("INTAKE_MAX_BATCH_BYTES")
    )
    max_batch_events: int = Field(
        default=10_000, ge=1, validation_alias=_env("INTAKE_MAX_BATCH_EVENTS")
    )
    territory_refresh_s: float = Field(
        default=60.0, gt=0, validation_alias=_env("INTAKE_TERRITORY_REFRESH_S")
    )
    # After an unknown territory, reload early unless the last load is more recent than this.
    territory_miss_refresh_s: float = Field(
        default=5.0, ge=0, validation_alias=_env("INTAKE_TERRITORY_MISS_REFRESH_S")
    )
    # The Open311 jurisdiction_id this endpoint answers to (docs/contract.md §5): clients may
    # send it or not; another one is refused.
    open311_jurisdiction: str = Field(
        default="vigie", min_length=1, validation_alias=_env("INTAKE_OPEN311_JURISDICTION")
    )
    # Open311 request details older than this many years are erased (vigie_intake.retention).
    retention_years: int = Field(
        default=5,
        ge=1,
        le=100,
        validation_alias=AliasChoices("VIGIE_RETENTION_YEARS", "retention_years"),
    )
    retention_interval_s: float = Field(
        default=86_400.0, gt=0, validation_alias=_env("INTAKE_RETENTION_INTERVAL_S")
    )
