"""Settings of the reporting process."""

from pydantic import AliasChoices, Field

from vigie.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    """Environment of the reporting service (CONTRACT §1)."""

    port: int = Field(default=8084, validation_alias=AliasChoices("REPORTING_PORT", "port"))
