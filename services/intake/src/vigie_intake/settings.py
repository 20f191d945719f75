"""Settings of the intake process."""

from pydantic import AliasChoices, Field

from vigie.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Environment of the intake service (CONTRACT §1)."""

    port: int = Field(default=8081, validation_alias=AliasChoices("INTAKE_PORT", "port"))
