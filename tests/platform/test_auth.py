"""Bearer tokens: stored hashed, checked against the database, revoked at once."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from vigie.platform.auth import Authenticator, InvalidKeyRequest, create_key, hash_token, revoke_key
from vigie.platform.auth.authenticator import Unauthenticated
from vigie.platform.db import create_pool

pytestmark = pytest.mark.connected


async def test_keys_are_stored_hashed_and_authenticate(
    db: asyncpg.Connection, database_url: str
) -> None:
    key_id, token = await create_key(db, role="landlord", landlord_id="b-93", name="OPH 93")
    stored = await db.fetchrow("SELECT * FROM api_keys WHERE key_id = $1", key_id)
    assert stored is not None
    assert token not in str(dict(stored))
    assert bytes(stored["token_sha256"]) == hash_token(token)
    pool = await create_pool(database_url)
    authenticator = Authenticator(pool, admin_token="admin-secret")
    await authenticator.start()
    try:
        principal = await authenticator.authenticate(f"Bearer {token}")
        assert (principal.role, principal.landlord_id) == ("landlord", "b-93")
        admin = await authenticator.authenticate("Bearer admin-secret")
        assert admin.is_admin
        for header in [None, "", "Basic abc", "Bearer ", "Bearer nope", f"Bearer {token}x"]:
            with pytest.raises(Unauthenticated):
                await authenticator.authenticate(header)
    finally:
        await authenticator.stop()
        await pool.close()


async def test_a_revoked_key_stops_working_at_once(
    db: asyncpg.Connection, database_url: str
) -> None:
    key_id, token = await create_key(db, role="partner", territory_ids=["QN09302M"])
    pool = await create_pool(database_url)
    authenticator = Authenticator(pool, admin_token=None)
    await authenticator.start()
    try:
        assert (await authenticator.authenticate(f"Bearer {token}")).role == "partner"
        assert await revoke_key(db, key_id)
        assert not await revoke_key(db, key_id)
        # The NOTIFY reaches the listener within milliseconds; the cache would hold for 30 s.
        refusal = ""
        for _ in range(50):
            try:
                await authenticator.authenticate(f"Bearer {token}")
            except Unauthenticated as exc:
                refusal = str(exc)
                break
            await asyncio.sleep(0.02)
        assert refusal == "revoked token", "the revoked key was still accepted after 1 s"
    finally:
        await authenticator.stop()
        await pool.close()


async def test_revocation_still_reaches_a_service_whose_listener_was_cut(
    db: asyncpg.Connection, database_url: str
) -> None:
    """A PostgreSQL restart or failover cuts the LISTEN connection and the notifications sent
    meanwhile are lost: the cache must not outlive it, and the listener comes back by itself."""
    key_id, token = await create_key(db, role="manager")
    pool = await create_pool(database_url)
    authenticator = Authenticator(pool, admin_token=None)
    await authenticator.start()
    try:
        assert (await authenticator.authenticate(f"Bearer {token}")).role == "manager"  # cached
        listening = "SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN%'"
        (cut,) = [row["pid"] for row in await db.fetch(listening)]
        await db.execute("SELECT pg_terminate_backend($1)", cut)
        for _ in range(100):  # until the service has seen its connection die
            if not authenticator.listening or [r["pid"] for r in await db.fetch(listening)] != [
                cut
            ]:
                break
            await asyncio.sleep(0.02)
        # The server cut the connection: while nobody listens, a revocation is not notified to
        # us; the key must be refused anyway, at once.
        assert await revoke_key(db, key_id)
        with pytest.raises(Unauthenticated, match="revoked token"):
            await authenticator.authenticate(f"Bearer {token}")
        for _ in range(100):  # the listener is back by itself (backoff from 0.5 s)
            if authenticator.listening:
                break
            await asyncio.sleep(0.05)
        assert authenticator.listening
    finally:
        await authenticator.stop()
        await pool.close()


@pytest.mark.parametrize(
    ("role", "landlord", "territories", "message"),
    [
        ("king", None, [], "role must be"),
        ("landlord", None, [], "needs --landlord"),
        ("partner", None, [], "needs at least one --territory"),
        ("partner", None, ["QN00000X"], "unknown territory: QN00000X"),
    ],
)
async def test_invalid_key_requests_are_refused(
    db: asyncpg.Connection, role: str, landlord: str | None, territories: list[str], message: str
) -> None:
    with pytest.raises(InvalidKeyRequest, match=message):
        await create_key(db, role=role, landlord_id=landlord, territory_ids=territories)
