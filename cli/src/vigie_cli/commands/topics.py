"""`vigie topics create`: create the Vigie topics on the configured Kafka (production set-up;
`vigie run` does it by itself)."""

from __future__ import annotations

from vigie.platform.kafka import client_security, ensure_topics
from vigie.platform.settings import MissingSettingError
from vigie_cli.console import console
from vigie_cli.context import cli_settings
from vigie_cli.errors import CliError


async def create_topics() -> None:
    """Create the missing topics with the configured partitions and replication."""
    settings = cli_settings()
    try:
        bootstrap = settings.kafka
    except MissingSettingError as exc:
        raise CliError(f"{exc}: set KAFKA_BOOTSTRAP_SERVERS") from None
    try:
        created = await ensure_topics(
            bootstrap,
            partitions=settings.topic_partitions,
            replication=settings.topic_replication,
            security=client_security(settings),
        )
    except Exception as exc:  # aiokafka raises several unrelated types for an unreachable broker
        raise CliError(f"cannot create topics on {bootstrap}: {exc}") from None
    console.print(f"created: {', '.join(created)}" if created else "every topic exists already")
