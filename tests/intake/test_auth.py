"""Who may write: the auth matrix of the intake (docs/contract.md §5), and the per-key rate
limit."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.support.intake import (
    ADMIN,
    KNOWN_TERRITORY,
    Client,
    KeyMaker,
    bearer,
    incident,
    intake_settings,
    read_topic,
    running_intake,
)
from vigie.platform.auth import revoke_key

pytestmark = pytest.mark.connected


async def test_no_token_and_bad_tokens_are_401(intake: Client) -> None:
    cases = [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        bearer("not-a-token"),
        bearer("vig_0123456789ab_forged-secret"),
    ]
    for headers in cases:
        response = await intake.post("/v1/incidents", json=incident(), headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"] == "unauthenticated"
        assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_landlord_key_writes_its_own_landlord_only(
    intake: Client, new_key: KeyMaker, kafka_bootstrap: str
) -> None:
    _, token = await new_key("landlord", landlord_id="HLM-93")
    own = await intake.post("/v1/incidents", json=incident(), headers=bearer(token))
    assert own.status_code == 202
    other = await intake.post(
        "/v1/incidents", json=incident(landlord_id="HLM-75"), headers=bearer(token)
    )
    assert other.status_code == 403
    assert other.json()["errors"][0]["field"] == "landlord_id"
    # Even when the event is otherwise invalid, the landlord is what is refused first.
    bad = await intake.post(
        "/v1/incidents", json=incident(landlord_id="HLM-75", severity=7), headers=bearer(token)
    )
    assert bad.status_code == 403
    records = await read_topic(kafka_bootstrap, expected=1)
    assert len(records) == 1


@pytest.mark.parametrize("role", ["partner", "manager"])
async def test_reading_roles_may_not_write(intake: Client, new_key: KeyMaker, role: str) -> None:
    _, token = await new_key(role, territory_ids=[KNOWN_TERRITORY])
    for path, body in (("/v1/incidents", incident()), ("/v1/incidents/batch", [incident()])):
        response = await intake.post(path, json=body, headers=bearer(token))
        assert response.status_code == 403
        assert response.json()["error"] == "forbidden"


async def test_revoked_key_stops_at_once(
    intake: Client, new_key: KeyMaker, db: asyncpg.Connection
) -> None:
    key_id, token = await new_key("landlord", landlord_id="HLM-93")
    assert (
        await intake.post("/v1/incidents", json=incident(), headers=bearer(token))
    ).status_code == 202
    assert await revoke_key(db, key_id)
    # The revocation travels by NOTIFY; allow it the time of a round trip, no more.
    for _ in range(50):
        response = await intake.post("/v1/incidents", json=incident(), headers=bearer(token))
        if response.status_code == 401:
            break
        await asyncio.sleep(0.02)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


async def test_rate_limit_answers_429_with_retry_after(
    database_url: str, kafka_bootstrap: str, new_key: KeyMaker
) -> None:
    settings = intake_settings(
        database_url=database_url, bootstrap=kafka_bootstrap, rate_per_s=0.5, rate_burst=2
    )
    _, token = await new_key("landlord", landlord_id="HLM-93")
    async with running_intake(settings) as client:
        codes = [
            (await client.post("/v1/incidents", json=incident(), headers=bearer(token))).status_code
            for _ in range(3)
        ]
        assert codes == [202, 202, 429]
        limited = await client.post("/v1/incidents", json=incident(), headers=bearer(token))
        assert int(limited.headers["Retry-After"]) >= 1
        assert limited.json()["error"] == "rate_limited"
        # Another key has its own bucket.
        assert (
            await client.post("/v1/incidents", json=incident(), headers=ADMIN)
        ).status_code == 202
