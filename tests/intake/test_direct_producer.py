"""A landlord system producing straight to `incidents.v1` with confluent-kafka (librdkafka), as
the AsyncAPI document says: keyed by territory, acks=all, JSON events. Against the embedded
broker (librdkafka ≥ 2.2 completes its ApiVersions handshake there; see the README's known
limits) and a real aggregator process: the valid event is counted, the invalid one goes to the
DLQ with the reason, and producing the same event again counts nothing twice."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import orjson
import pytest
from confluent_kafka import KafkaError, Message, Producer, libversion

from tests.support.aggregator import eventually, read_topic
from tests.support.aggregator_process import service_env
from tests.support.intake import incident
from tests.support.services import service_process
from vigie.contract import topics

pytestmark = [pytest.mark.connected, pytest.mark.e2e]


@pytest.fixture
def aggregator(kafka_bootstrap: str, database_url: str, tmp_path: Path) -> Iterator[str]:
    """An aggregator process on the test's broker and database."""
    env = service_env(kafka_bootstrap, database_url, tmp_path)
    with service_process("aggregator", env=env, log_dir=tmp_path / "logs") as url:
        yield url


def _produce(bootstrap: str, records: list[tuple[bytes, bytes]]) -> list[KafkaError | None]:
    """Produce and wait for every delivery report; the errors (None: delivered)."""
    producer = Producer(
        {"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": False}
    )
    reports: list[KafkaError | None] = []

    def delivered(error: KafkaError | None, _message: Message) -> None:
        reports.append(error)

    for key, value in records:
        producer.produce(topics.INCIDENTS, key=key, value=value, on_delivery=delivered)
    assert producer.flush(15) == 0
    return reports


async def test_a_confluent_kafka_producer_is_counted_and_its_mistakes_dead_lettered(
    aggregator: str, kafka_bootstrap: str, database_url: str
) -> None:
    assert tuple(int(p) for p in libversion()[0].split(".")[:2]) >= (2, 2)
    event = incident(landlord_id="HLM-direct", description="Produit en direct")
    key = event["territory_id"].encode()
    bad = incident(landlord_id="HLM-direct", severity=9)
    records = [(key, orjson.dumps(event)), (key, orjson.dumps(bad)), (key, orjson.dumps(event))]
    assert _produce(kafka_bootstrap, records) == [None, None, None]

    conn = await asyncpg.connect(database_url)
    try:

        async def counted() -> bool:
            total = await conn.fetchval(
                "SELECT coalesce(sum(incidents), 0) FROM incident_counters"
                " WHERE landlord_id = 'HLM-direct'"
            )
            return int(total) == 1

        assert await eventually(counted, within=30)
        stored = await conn.fetch(
            "SELECT incident_id, event_id FROM incidents WHERE landlord_id = 'HLM-direct'"
        )
    finally:
        await conn.close()
    assert [(r["incident_id"], r["event_id"]) for r in stored] == [
        (event["incident_id"], uuid.UUID(event["event_id"]))
    ]
    (dead,) = await read_topic(kafka_bootstrap, topics.INCIDENTS_DLQ, at_least=1)
    assert orjson.loads(dead.value or b"{}")["event_id"] == bad["event_id"]
    headers = {name: value.decode() for name, value in dead.headers}
    assert "severity" in headers["error"]
    assert headers["source-topic"] == topics.INCIDENTS
