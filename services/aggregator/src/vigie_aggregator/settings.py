"""Settings of the aggregator process."""

from pydantic import AliasChoices, Field

from vigie.settings import ServiceSettings


class AggregatorSettings(ServiceSettings):
    """Environment of the aggregator service (CONTRACT §1)."""

    port: int = Field(default=8082, validation_alias=AliasChoices("AGGREGATOR_PORT", "port"))
