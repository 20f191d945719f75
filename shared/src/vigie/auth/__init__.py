"""Authentication and roles (CONTRACT §5, §8): bearer tokens stored hashed, checked in constant
time, revocable at once."""

from vigie.auth.authenticator import Authenticator
from vigie.auth.keys import ROLES, InvalidKeyRequest, Principal, Role, create_key, revoke_key
from vigie.auth.tokens import hash_token, new_token, parse_token

__all__ = [
    "ROLES",
    "Authenticator",
    "InvalidKeyRequest",
    "Principal",
    "Role",
    "create_key",
    "hash_token",
    "new_token",
    "parse_token",
    "revoke_key",
]
