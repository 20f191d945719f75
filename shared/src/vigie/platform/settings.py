"""Settings read from the environment (docs/contract.md §1). Each process builds one object at
start-up
and passes it down; nothing reads the environment at import time."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, FilePath, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vigie.platform.runfile import read_run_file


class VigieSettings(BaseSettings):
    """What every Vigie process needs: where the broker, the database and the run files are."""

    # Errors never echo the input: it holds passwords (DATABASE_URL, KAFKA_SASL_PASSWORD…).
    model_config = SettingsConfigDict(
        extra="ignore", populate_by_name=True, hide_input_in_errors=True
    )

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
    # How every Kafka client connects (vigie.platform.kafka): plain by default, as the embedded
    # broker and compose's Kafka expect; TLS and/or SASL for a production cluster.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        validation_alias=AliasChoices("KAFKA_SECURITY_PROTOCOL", "kafka_security_protocol"),
    )
    # Unset: PLAIN with a SASL protocol.
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        default=None, validation_alias=AliasChoices("KAFKA_SASL_MECHANISM", "kafka_sasl_mechanism")
    )
    kafka_sasl_username: str | None = Field(
        default=None, validation_alias=AliasChoices("KAFKA_SASL_USERNAME", "kafka_sasl_username")
    )
    kafka_sasl_password: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("KAFKA_SASL_PASSWORD", "kafka_sasl_password")
    )
    # The CA that signed the brokers' certificates; unset: the system's CAs.
    kafka_ssl_cafile: FilePath | None = Field(
        default=None, validation_alias=AliasChoices("KAFKA_SSL_CAFILE", "kafka_ssl_cafile")
    )
    # A client certificate for mTLS; its key may be in the same file.
    kafka_ssl_certfile: FilePath | None = Field(
        default=None, validation_alias=AliasChoices("KAFKA_SSL_CERTFILE", "kafka_ssl_certfile")
    )
    kafka_ssl_keyfile: FilePath | None = Field(
        default=None, validation_alias=AliasChoices("KAFKA_SSL_KEYFILE", "kafka_ssl_keyfile")
    )

    @model_validator(mode="after")
    def _check_kafka_security(self) -> Self:
        """Refuse Kafka security settings that would be ignored or cannot connect."""
        protocol = self.kafka_security_protocol
        sasl_values = {
            "KAFKA_SASL_MECHANISM": self.kafka_sasl_mechanism,
            "KAFKA_SASL_USERNAME": self.kafka_sasl_username,
            "KAFKA_SASL_PASSWORD": self.kafka_sasl_password,
        }
        tls_values = {
            "KAFKA_SSL_CAFILE": self.kafka_ssl_cafile,
            "KAFKA_SSL_CERTFILE": self.kafka_ssl_certfile,
            "KAFKA_SSL_KEYFILE": self.kafka_ssl_keyfile,
        }
        if protocol.startswith("SASL_"):
            for name in ("KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"):
                if not sasl_values[name]:
                    raise ValueError(
                        f"{name} is not set: KAFKA_SECURITY_PROTOCOL={protocol} needs it"
                    )
        else:
            _refuse_unused(sasl_values, protocol=protocol, use="SASL_SSL or SASL_PLAINTEXT")
        if not protocol.endswith("SSL"):
            _refuse_unused(tls_values, protocol=protocol, use="SSL or SASL_SSL")
        if self.kafka_ssl_keyfile is not None and self.kafka_ssl_certfile is None:
            raise ValueError("KAFKA_SSL_CERTFILE is not set: KAFKA_SSL_KEYFILE needs it")
        return self

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
    # Bounds on a request's head (vigie.platform.http_guard): uvicorn has none of its own.
    http_max_head_bytes: int = Field(
        default=32 * 1024,
        ge=1024,
        validation_alias=AliasChoices("VIGIE_HTTP_MAX_HEAD_BYTES", "http_max_head_bytes"),
    )
    http_head_timeout_s: float = Field(
        default=10.0,
        gt=0,
        validation_alias=AliasChoices("VIGIE_HTTP_HEAD_TIMEOUT_S", "http_head_timeout_s"),
    )


def _refuse_unused(values: Mapping[str, object], *, protocol: str, use: str) -> None:
    """A Kafka setting the protocol would ignore is a mistake: name it."""
    for name, value in values.items():
        if value is not None:
            raise ValueError(
                f"{name} is set but KAFKA_SECURITY_PROTOCOL={protocol} ignores it: use {use}"
            )


class MissingSettingError(RuntimeError):
    """A connection setting is needed but unknown."""
