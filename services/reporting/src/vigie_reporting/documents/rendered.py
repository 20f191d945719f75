"""Rendered documents kept in memory, so that downloading one again does not render it again
(a WeasyPrint render of the annual observatory takes seconds; its figures change rarely).

A document is kept under a key naming everything it is made from (for the observatory: the
year, the landlord whose own block it prints, and the snapshot of the roll-up of both years it
reads); a changed figure means a new key, never a stale hit. At most `size` documents are kept,
the least recently used one dropped first (an observatory PDF is ~150 KB: a few MB at most).
Each app holds its own (see `api.deps.Resources`): apps in one process, on other databases,
share nothing."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

DEFAULT_SIZE = 16


class Rendered:
    """A bounded least-recently-used store of rendered documents by key."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._kept: OrderedDict[Hashable, bytes] = OrderedDict()

    def get(self, key: Hashable) -> bytes | None:
        """The document kept under `key`, if any (now the most recently used)."""
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    def put(self, key: Hashable, document: bytes) -> None:
        """Keep `document` under `key`, dropping the least recently used beyond the bound."""
        self._kept[key] = document
        self._kept.move_to_end(key)
        while len(self._kept) > self._size:
            self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)
