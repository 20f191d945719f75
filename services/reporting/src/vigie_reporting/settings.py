"""Settings of the reporting process."""

from pydantic import AliasChoices, Field

from vigie.platform.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    """Environment of the reporting service (docs/contract.md §1)."""

    port: int = Field(default=8084, validation_alias=AliasChoices("REPORTING_PORT", "port"))
    alerts_port: int = Field(
        default=8083, validation_alias=AliasChoices("ALERTS_PORT", "alerts_port")
    )
    # Where the alerts service is; by default the local one on ALERTS_PORT.
    alerts_url: str | None = Field(
        default=None, validation_alias=AliasChoices("VIGIE_ALERTS_URL", "alerts_url")
    )
    # Its consumer group on counters.changed.v1 (see vigie_reporting.changes).
    group_id: str = Field(
        default="reporting", validation_alias=AliasChoices("REPORTING_GROUP_ID", "group_id")
    )
    # How long the group waits for a member that stopped answering before its partitions move
    # to the others (Kafka refuses less than 6 s by default).
    session_timeout_ms: int = Field(
        default=10_000,
        ge=1000,
        validation_alias=AliasChoices("REPORTING_SESSION_TIMEOUT_MS", "session_timeout_ms"),
    )
    pool_size: int = Field(
        default=10, ge=1, validation_alias=AliasChoices("REPORTING_POOL_SIZE", "pool_size")
    )

    @property
    def alerts_base_url(self) -> str:
        """The alerts service's base URL."""
        return self.alerts_url or f"http://127.0.0.1:{self.alerts_port}"
