"""Settings of the alerts process."""

from pydantic import AliasChoices, Field

from vigie.settings import ServiceSettings


class AlertsSettings(ServiceSettings):
    """Environment of the alerts service (CONTRACT §1)."""

    port: int = Field(default=8083, validation_alias=AliasChoices("ALERTS_PORT", "port"))
