"""The intake as it is deployed: `python -m vigie_intake` configured by environment variables."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.intake import ADMIN, ADMIN_TOKEN, KNOWN_TERRITORY, incident, read_topic
from tests.support.services import service_process

pytestmark = [pytest.mark.connected, pytest.mark.e2e]


async def test_service_process_accepts_and_publishes(
    database_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DATABASE_URL": database_url,
        "VIGIE_ADMIN_TOKEN": ADMIN_TOKEN,
        "VIGIE_DATA_DIR": str(tmp_path / "data"),
    }
    with service_process("intake", env=env, log_dir=tmp_path / "logs") as url:
        async with httpx.AsyncClient(base_url=url) as client:
            event = incident()
            response = await client.post("/v1/incidents", json=event, headers=ADMIN)
            assert response.status_code == 202, response.text
            metrics = (await client.get("/metrics")).text
            assert 'vigie_incidents_accepted_total{landlord_id="HLM-93"} 1.0' in metrics
            assert (await client.get("/docs")).status_code == 200
    (record,) = await read_topic(kafka_bootstrap, expected=1)
    assert record.key == KNOWN_TERRITORY.encode()
