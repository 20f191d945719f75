"""How Vigie's Kafka clients connect (the security settings, for FastStream brokers and bare
aiokafka clients alike) and topic creation at start-up (docs/contract.md §6), idempotent, with a
configurable partition count."""

from __future__ import annotations

from collections.abc import Mapping
from ssl import SSLContext
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.helpers import create_ssl_context
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from vigie.contract import topics
from vigie.platform.settings import VigieSettings

_SASL_SECURITY = {
    "PLAIN": SASLPlaintext,
    "SCRAM-SHA-256": SASLScram256,
    "SCRAM-SHA-512": SASLScram512,
}


def kafka_ssl_context(settings: VigieSettings) -> SSLContext | None:
    """The TLS context of SSL and SASL_SSL (the CA file or the system's CAs, the client
    certificate for mTLS); None for the plain protocols."""
    if not settings.kafka_security_protocol.endswith("SSL"):
        return None
    context: SSLContext = create_ssl_context(
        cafile=settings.kafka_ssl_cafile,
        certfile=settings.kafka_ssl_certfile,
        keyfile=settings.kafka_ssl_keyfile,
    )
    return context


def broker_security(settings: VigieSettings) -> BaseSecurity | None:
    """FastStream's `security=` for a KafkaBroker; None (its default) for PLAINTEXT."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = kafka_ssl_context(settings)
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    security = _SASL_SECURITY[settings.kafka_sasl_mechanism or "PLAIN"]
    username, password = _sasl_credentials(settings)
    return security(username, password, ssl_context=context, use_ssl=protocol == "SASL_SSL")


def client_security(settings: VigieSettings) -> dict[str, Any]:
    """The keyword arguments of a bare aiokafka client; none for PLAINTEXT (its defaults)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return {}
    kwargs: dict[str, Any] = {
        "security_protocol": protocol,
        "ssl_context": kafka_ssl_context(settings),
    }
    if protocol.startswith("SASL_"):
        username, password = _sasl_credentials(settings)
        kwargs |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism or "PLAIN",
            "sasl_plain_username": username,
            "sasl_plain_password": password,
        }
    return kwargs


def _sasl_credentials(settings: VigieSettings) -> tuple[str, str]:
    """The SASL user name and password (VigieSettings checked that both are set)."""
    if settings.kafka_sasl_username is None or settings.kafka_sasl_password is None:
        raise ValueError("KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are needed for SASL")
    return settings.kafka_sasl_username, settings.kafka_sasl_password.get_secret_value()


async def ensure_topics(
    bootstrap_servers: str,
    *,
    partitions: int,
    replication: int = 1,
    security: Mapping[str, Any] | None = None,
) -> list[str]:
    """Create every Vigie topic that does not exist yet; return the names created. `security`:
    `client_security(settings)`."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000, **(security or {})
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in topics.ALL if name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(name, num_partitions=partitions, replication_factor=replication)
                    for name in missing
                ]
            )
        return missing
    finally:
        await admin.close()
