"""Entity tags of polled answers and `If-None-Match` (RFC 9110 §8.8.3, §13.1.2), pure.

A tag names *what an answer is computed from*, not its bytes: the data's version (see
`api.polling`) and everything that shapes the answer (route, query, the caller's scope, the
day that default periods count from). Two requests with the same parts get the same answer, so
the tag is weak (`W/`): it promises equivalence, not byte identity (an encoder upgrade may
reorder keys without changing a figure).

Cache-Control is `private, no-cache`: the answers depend on the bearer token, so no shared
cache (proxy, CDN) may keep them (`private`), and a client may keep its copy but must ask again
before each use (`no-cache`), which costs a 304 when nothing moved. `Vary: Authorization` says
the same to any cache that reads it. No `max-age`: a wall screen would otherwise show a copy
some seconds older than what the service already knows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

CACHE_CONTROL = "private, no-cache"
VARY = "Authorization"
ANY = "*"


def make_tag(parts: Iterable[str]) -> str:
    """A weak entity tag over the parts (each separated so that ("ab", "c") ≠ ("a", "bc"))."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        encoded = part.encode()
        digest.update(len(encoded).to_bytes(4, "big"))
        digest.update(encoded)
    return f'W/"{digest.hexdigest()}"'


def parse_if_none_match(header: str) -> list[str] | None:
    """The opaque tags of an If-None-Match field value (weak or strong, `W/` dropped, as weak
    comparison ignores it); None for `*`. Malformed members are skipped rather than failing
    the request: a client that sends garbage gets a full answer. Several field lines arrive
    joined by commas, which this reads the same."""
    if header.strip() == ANY:
        return None
    tags: list[str] = []
    rest = header
    while rest:
        rest = rest.lstrip(" \t,")
        if not rest:
            break
        if rest.startswith("W/"):
            rest = rest[2:]
        if not rest.startswith('"'):
            # Not an entity-tag: skip to the next member.
            _, _, rest = rest.partition(",")
            continue
        end = rest.find('"', 1)
        if end < 0:
            break
        tags.append(rest[1:end])
        rest = rest[end + 1 :]
    return tags


def opaque(tag: str) -> str:
    """The opaque part of a tag we made: `W/"abc"` → `abc`."""
    return tag.removeprefix("W/").strip('"')


def none_match_fails(header: str | None, tag: str) -> bool:
    """Whether If-None-Match names the current tag (weak comparison): then a GET answers 304.
    `*` matches any current representation: a caller reaching this has one."""
    if header is None:
        return False
    tags = parse_if_none_match(header)
    if tags is None:
        return True
    return opaque(tag) in tags
