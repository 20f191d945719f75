"""Token format and hashing. Pure functions."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "vig"


def new_token() -> tuple[str, str]:
    """A fresh (key_id, token) pair; the token embeds the key id so look-up needs no scan."""
    key_id = secrets.token_hex(6)
    return key_id, f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"


def parse_token(token: str) -> str | None:
    """The key id inside a well-formed token, else None."""
    prefix, _, rest = token.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != PREFIX or len(key_id) != 12 or not secret:
        return None
    return key_id


def hash_token(token: str) -> bytes:
    """What is stored for a token."""
    return hashlib.sha256(token.encode()).digest()
