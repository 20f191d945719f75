"""The territory reference: QPVs read from a CSV shaped like `qpv_2024.csv`, and the communes,
départements, régions and country they belong to. Pure: no I/O beyond reading the text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources import files

COUNTRY_ID = "FR"
REQUIRED_COLUMNS = (
    "territory_id",
    "name",
    "communes",
    "departement_code",
    "departement_name",
    "region_code",
    "region_name",
    "population",
    "households",
    "social_dwellings",
)


class TerritoryFileError(ValueError):
    """A territory file that cannot be loaded, with the line and column at fault."""


@dataclass
class Territory:
    """One row of the `territories` table."""

    territory_id: str
    kind: str
    name: str
    code: str
    departement_code: str | None = None
    region_code: str | None = None
    population: int | None = None
    households: int | None = None
    social_dwellings: int | None = None


@dataclass
class TerritoryTree:
    """Every territory, and the (ancestor, territory) pairs of the hierarchy's closure."""

    territories: dict[str, Territory] = field(default_factory=dict)
    ancestors: set[tuple[str, str]] = field(default_factory=set)

    @property
    def qpv_count(self) -> int:
        """How many QPVs the file held."""
        return sum(1 for t in self.territories.values() if t.kind == "qpv")

    def count(self, kind: str) -> int:
        """How many territories of a kind."""
        return sum(1 for t in self.territories.values() if t.kind == kind)


def commune_id(insee: str) -> str:
    """The territory id of a commune."""
    return f"COM-{insee}"


def departement_id(code: str) -> str:
    """The territory id of a département."""
    return f"DEP-{code}"


def region_id(code: str) -> str:
    """The territory id of a région."""
    return f"REG-{code}"


def reference_csv() -> str:
    """The reference file shipped with Vigie (the 1,518 QPVs of 2024)."""
    return files("vigie.platform").joinpath("data/qpv_2024.csv").read_text(encoding="utf-8")


def parse_territories(text: str) -> TerritoryTree:
    """Build the tree from the CSV text; raise TerritoryFileError naming the line and column."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise TerritoryFileError(f"missing column(s): {', '.join(missing)}")
    tree = TerritoryTree()
    tree.territories[COUNTRY_ID] = Territory(COUNTRY_ID, "pays", "France", COUNTRY_ID)
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        qpv_id = _text(row, "territory_id", line)
        if qpv_id in seen:
            raise TerritoryFileError(f"line {line}: territory_id {qpv_id} appears twice")
        seen.add(qpv_id)
        _add_qpv(tree, row, line)
    if not seen:
        raise TerritoryFileError("the file holds no territory")
    _sum_groupings(tree)
    return tree


def _add_qpv(tree: TerritoryTree, row: dict[str, str], line: int) -> None:
    dep_code = _text(row, "departement_code", line)
    reg_code = _text(row, "region_code", line)
    qpv = Territory(
        territory_id=_text(row, "territory_id", line),
        kind="qpv",
        name=_text(row, "name", line),
        code=_text(row, "territory_id", line),
        departement_code=dep_code,
        region_code=reg_code,
        population=_count(row, "population", line),
        households=_count(row, "households", line),
        social_dwellings=_count(row, "social_dwellings", line),
    )
    tree.territories[qpv.territory_id] = qpv
    groupings = [
        Territory(
            departement_id(dep_code),
            "departement",
            _text(row, "departement_name", line),
            dep_code,
            dep_code,
            reg_code,
        ),
        Territory(
            region_id(reg_code), "region", _text(row, "region_name", line), reg_code, None, reg_code
        ),
    ]
    for insee, name in _communes(row, line):
        groupings.append(Territory(commune_id(insee), "commune", name, insee, dep_code, reg_code))
    for grouping in groupings:
        tree.territories.setdefault(grouping.territory_id, grouping)
    # The closure: every territory is its own ancestor; the rest follows the hierarchy.
    chain = [g.territory_id for g in groupings]
    for member in [qpv.territory_id, *chain]:
        tree.ancestors.add((member, member))
        tree.ancestors.add((COUNTRY_ID, member))
    for ancestor in chain:
        tree.ancestors.add((ancestor, qpv.territory_id))
    tree.ancestors.add((COUNTRY_ID, COUNTRY_ID))
    dep, reg = departement_id(dep_code), region_id(reg_code)
    tree.ancestors.add((reg, dep))
    for insee, _ in _communes(row, line):
        tree.ancestors.update({(dep, commune_id(insee)), (reg, commune_id(insee))})


def _sum_groupings(tree: TerritoryTree) -> None:
    """Population, households and dwellings of a grouping: the sums over its QPVs."""
    qpvs_of: dict[str, list[Territory]] = {}
    for ancestor, member in tree.ancestors:
        if tree.territories[member].kind == "qpv":
            qpvs_of.setdefault(ancestor, []).append(tree.territories[member])
    for territory in tree.territories.values():
        if territory.kind == "qpv":
            continue
        members = qpvs_of.get(territory.territory_id, [])
        territory.population = _sum(m.population for m in members)
        territory.households = _sum(m.households for m in members)
        territory.social_dwellings = _sum(m.social_dwellings for m in members)


def _sum(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _communes(row: dict[str, str], line: int) -> list[tuple[str, str]]:
    result = []
    for part in _text(row, "communes", line).split(";"):
        insee, sep, name = part.strip().partition(":")
        if not sep or not insee or not name:
            raise TerritoryFileError(
                f"line {line}: communes must read 'INSEE:name;…', got {part!r}"
            )
        result.append((insee.strip(), name.strip()))
    return result


def _text(row: dict[str, str], column: str, line: int) -> str:
    value = (row.get(column) or "").strip()
    if not value:
        raise TerritoryFileError(f"line {line}: {column} is empty")
    return value


def _count(row: dict[str, str], column: str, line: int) -> int | None:
    value = (row.get(column) or "").strip()
    if not value:
        return None
    try:
        number = int(float(value))
    except ValueError:
        raise TerritoryFileError(f"line {line}: {column} must be a number, got {value!r}") from None
    if number < 0:
        raise TerritoryFileError(f"line {line}: {column} must not be negative")
    return number
