"""Authentication and roles (docs/contract.md §5, §8): bearer tokens stored hashed, checked in
constant
time, revocable at once."""

from vigie.platform.auth.authenticator import Authenticator
from vigie.platform.auth.keys import (
    ROLES,
    InvalidKeyRequest,
    Principal,
    Role,
    create_key,
    list_keys,
    revoke_key,
    rotate_key,
)
from vigie.platform.auth.tokens import hash_token, new_token, parse_token

__all__ = [
    "ROLES",
    "Authenticator",
    "InvalidKeyRequest",
    "Principal",
    "Role",
    "create_key",
    "hash_token",
    "list_keys",
    "new_token",
    "parse_token",
    "revoke_key",
    "rotate_key",
]
