"""Turning an `Authorization: Bearer …` header into a Principal, fast and revocable at once.

Keys are cached per process; a LISTEN on `vigie_api_keys` drops a key from the cache the moment
it is revoked, and a short TTL bounds staleness if that notification is ever missed. The cache is
only used while the LISTEN connection lives: when it is lost (PostgreSQL restarted, a failover),
the cache is emptied, every key is read from the database until the connection is back (it is
re-established with backoff), since notifications sent meanwhile are lost."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from datetime import UTC, datetime

import asyncpg
from asyncpg import Record
from asyncpg.pool import PoolConnectionProxy

from vigie.platform.auth.keys import ADMIN_KEY_ID, Principal, StoredKey, load_key
from vigie.platform.auth.tokens import hash_token, parse_token

CACHE_TTL_S = 30.0
CHANNEL = "vigie_api_keys"
RELISTEN_MAX_S = 30.0
_log = logging.getLogger(__name__)


class Unauthenticated(Exception):
    """No token, or one that is unknown, malformed or revoked."""


class Authenticator:
    """Checks bearer tokens against the admin token and the api_keys table."""

    def __init__(self, pool: asyncpg.Pool, *, admin_token: str | None) -> None:
        self._pool = pool
        self._admin_hash = hash_token(admin_token) if admin_token else None
        self._cache: dict[str, tuple[float, StoredKey | None]] = {}
        self._listener: PoolConnectionProxy[Record] | None = None
        self._lock = asyncio.Lock()
        self._relisten: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def listening(self) -> bool:
        """Whether key changes are being heard (and the cache is therefore used)."""
        return self._listener is not None

    async def start(self) -> None:
        """Subscribe to key changes."""
        await self._listen()

    async def stop(self) -> None:
        """Unsubscribe and give the connection back."""
        self._stopping = True
        if self._relisten is not None:
            self._relisten.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relisten
        if self._listener is not None:
            listener, self._listener = self._listener, None
            try:
                await listener.remove_listener(CHANNEL, self._on_change)
            except (asyncpg.InterfaceError, asyncpg.PostgresError, OSError):
                pass  # the connection died with the server: nothing to unsubscribe
            finally:
                await self._pool.release(listener)

    async def _listen(self) -> None:
        listener = await self._pool.acquire()
        try:
            await listener.add_listener(CHANNEL, self._on_change)
        except BaseException:
            await self._pool.release(listener)
            raise
        listener.add_termination_listener(self._on_lost)
        self._cache.clear()  # changes made while nobody listened were not heard
        self._listener = listener

    def _on_lost(self, _conn: object) -> None:
        lost, self._listener = self._listener, None
        self._cache.clear()
        if self._stopping:
            return
        _log.warning(
            "lost the %s listener; keys are read from the database until it is back", CHANNEL
        )
        self._relisten = asyncio.get_running_loop().create_task(self._listen_again(lost))

    async def _listen_again(self, lost: PoolConnectionProxy[Record] | None) -> None:
        if lost is not None:
            with contextlib.suppress(asyncpg.InterfaceError, asyncpg.PostgresError, OSError):
                await self._pool.release(lost)
        delay = 0.5
        while not self._stopping:
            try:
                await self._listen()
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, RELISTEN_MAX_S)
            else:
                _log.info("listening to %s again", CHANNEL)
                return

    async def authenticate(self, authorization: str | None) -> Principal:
        """The principal behind an Authorization header; raise Unauthenticated otherwise."""
        token = _bearer(authorization)
        digest = hash_token(token)
        if self._admin_hash is not None and hmac.compare_digest(digest, self._admin_hash):
            return Principal(key_id=ADMIN_KEY_ID, role="admin", name="bootstrap admin")
        key_id = parse_token(token)
        if key_id is None:
            raise Unauthenticated("invalid token")
        stored = await self._stored(key_id)
        if stored is None or not hmac.compare_digest(digest, stored.token_sha256):
            raise Unauthenticated("invalid token")
        if stored.revoked:
            raise Unauthenticated("revoked token")
        # Checked on every call, cached or not: expiry needs no notification.
        if stored.expires_at is not None and stored.expires_at <= datetime.now(UTC):
            raise Unauthenticated("expired token")
        return stored.principal

    async def _stored(self, key_id: str) -> StoredKey | None:
        cached = self._cache.get(key_id)
        now = time.monotonic()
        if cached is not None and now - cached[0] < CACHE_TTL_S:
            return cached[1]
        stored = await load_key(self._pool, key_id)
        if self._listener is not None:  # a revocation would reach us: the key may be kept
            self._cache[key_id] = (now, stored)
        return stored

    def _on_change(self, _conn: object, _pid: int, _channel: str, key_id: object) -> None:
        self._cache.pop(str(key_id), None)
        _log.info("api key %s changed; dropped from cache", key_id)


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated("missing Authorization: Bearer token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("expected Authorization: Bearer <token>")
    return token.strip()
