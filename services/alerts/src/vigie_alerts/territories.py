"""The territory reference as evaluation and routing need it, held in memory (a few thousand
rows): names and social dwellings, the hierarchy both ways, the territories of each kind."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from vigie_alerts import repository
from vigie_alerts.delivery.repository import Conn


@dataclass(frozen=True, slots=True)
class Territory:
    """One territory's facts."""

    territory_id: str
    kind: str
    name: str
    social_dwellings: int | None


@dataclass(frozen=True)
class TerritoryIndex:
    """Every territory, with its ancestors (itself included) and the ids of each kind."""

    territories: dict[str, Territory] = field(default_factory=dict)
    ancestors: dict[str, frozenset[str]] = field(default_factory=dict)
    by_kind: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def ancestors_of(self, territory_id: str) -> frozenset[str]:
        """The territory and every territory containing it."""
        return self.ancestors.get(territory_id, frozenset({territory_id}))

    def affected_by(self, changed: set[str]) -> set[str]:
        """The territories whose counts include one of these (their ancestors, themselves)."""
        out: set[str] = set()
        for territory_id in changed:
            out |= self.ancestors_of(territory_id)
        return out

    def name(self, territory_id: str) -> str:
        """A territory's name, or its id when unknown."""
        territory = self.territories.get(territory_id)
        return territory.name if territory else territory_id


async def load_index(conn: Conn) -> TerritoryIndex:
    """Read the reference from the database."""
    territories = {
        row["territory_id"]: Territory(
            row["territory_id"], row["kind"], row["name"], row["social_dwellings"]
        )
        for row in await repository.territory_rows(conn)
    }
    ancestors: dict[str, set[str]] = defaultdict(set)
    for row in await repository.ancestor_rows(conn):
        ancestors[row["territory_id"]].add(row["ancestor_id"])
    by_kind: dict[str, list[str]] = defaultdict(list)
    for territory in territories.values():
        by_kind[territory.kind].append(territory.territory_id)
    return TerritoryIndex(
        territories=territories,
        ancestors={tid: frozenset(ids | {tid}) for tid, ids in ancestors.items()},
        by_kind={kind: tuple(sorted(ids)) for kind, ids in by_kind.items()},
    )
