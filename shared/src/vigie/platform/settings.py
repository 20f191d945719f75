"""Settings read from the environment (docs/contract.md §1). Each process builds one object at
start-up
and passes it down; nothing reads the environment at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from vigie.platform.runfile import read_run_file


class VigieSettings(BaseSettings):
    """What every Vigie process needs: where the broker, the database and the run files are."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str | None = None
    database_url: str | None = None
    admin_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("VIGIE_ADMIN_TOKEN", "admin_token")
    )
    data_dir: Path = Field(
        default=Path(".vigie"), validation_alias=AliasChoices("VIGIE_DATA_DIR", "data_dir")
    )
    topic_partitions: int = Field(
        default=12,
        ge=1,
        validation_alias=AliasChoices("VIGIE_TOPIC_PARTITIONS", "topic_partitions"),
    )
    # 1 for the embedded broker; 3 on a production Apache Kafka cluster (deploy/).
    topic_replication: int = Field(
        default=1,
        ge=1,
        validation_alias=AliasChoices("VIGIE_TOPIC_REPLICATION", "topic_replication"),
    )

    def with_running_instance(self) -> Self:
        """Fill unset connections from the `run.json` that a running `vigie run` wrote."""
        if self.kafka_bootstrap_servers and self.database_url:
            return self
        run = read_run_file(self.data_dir)
        if run is None:
            return self
        return self.model_copy(
            update={
                "kafka_bootstrap_servers": self.kafka_bootstrap_servers
                or run.kafka_bootstrap_servers,
                "database_url": self.database_url or run.database_url,
            }
        )

    @property
    def kafka(self) -> str:
        """The bootstrap list, or a clear error when neither the env nor a running Vigie has one."""
        if not self.kafka_bootstrap_servers:
            raise MissingSettingError("KAFKA_BOOTSTRAP_SERVERS is not set and no `vigie run` found")
        return self.kafka_bootstrap_servers

    @property
    def dsn(self) -> str:
        """The database URL, or a clear error when neither the env nor a running Vigie has one."""
        if not self.database_url:
            raise MissingSettingError("DATABASE_URL is not set and no `vigie run` found")
        return self.database_url


class ServiceSettings(VigieSettings):
    """A service process: the common settings plus the port it listens on."""

    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("VIGIE_HOST", "host"))
    port: int = 0
    # Seconds between SIGTERM and the server closing, during which readiness is false and new
    # API requests get 503 (vigie.platform.drain). Kept well under the grace periods of deploy/.
    drain_s: float = Field(
        default=2.0, ge=0, le=20, validation_alias=AliasChoices("VIGIE_DRAIN_S", "drain_s")
    )


class MissingSettingError(RuntimeError):
    """A connection setting is needed but unknown."""
