"""Topic creation at start-up (docs/contract.md §6), idempotent, with a configurable partition
count."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from vigie.contract import topics


async def ensure_topics(
    bootstrap_servers: str, *, partitions: int, replication: int = 1
) -> list[str]:
    """Create every Vigie topic that does not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
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
