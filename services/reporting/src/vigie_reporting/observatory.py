"""The annual observatory, pure: counter sums of a year and the one before, per département and
landlord, turned into the indicators the landlords' observatory publishes, per région and
département and for France, through the shared view's suppression. No I/O.

Definitions (the method note of docs/contract.md §8 and of the PDF says the same in French):
- facts: the incidents counted in the year (Europe/Paris calendar days, the counters' `day`);
- rates divide by the social dwellings of the territory (its QPVs, from the reference), as every
  other rate of reporting; the coverage says how much of them the figures stand on;
- coverage: the landlords with at least one fact counted in the territory that year, and the
  social dwellings of the QPVs where at least one fact was counted that year;
- degradations: the categories in `DEGRADATIONS` (vandalism of the stock); their `cost_eur` is
  the cost of degradations;
- targets: residents = `locataire`, staff = `personnel` + `prestataire`, property =
  `patrimoine`, other = `autre` (kept so that the targets add up to the facts);
- change: on the stable panel, the landlords with at least one fact counted (anywhere) in both
  years: their facts in the territory this year against the previous one.

Suppression: every count goes through `suppression.publish` with the relations a reader knows
(a parent territory = Σ its children for every count; facts = Σ domains = Σ targets). The facts
outside the panel are facts − panel facts: where they are a few (1 to 4), the panel count that
would give them away is hidden from the start (it goes into publish() as 0, below any
threshold, so that publish() also hides what would recompute it through the territories' sums).
Rates, shares and costs are derived only from published counts (a shared cost shows with its
degradations, to the nearest `figures.COST_ROUNDING_EUR`, as in every shared view); the
coverage of a row is shown only with its facts (no coverage would tell there is no fact)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from vigie.contract.nomenclature import Nomenclature
from vigie_reporting.figures import COST_ROUNDING_EUR, rate_per_1000
from vigie_reporting.periods import trend_pct
from vigie_reporting.suppression import THRESHOLD, Relation, publish

# Vandalism of the stock, as the observatory counts it (halls, lifts, doors, letter boxes,
# lighting, tags, fires): damaged equipment, tags and graffiti, arson. Theft and burglary of
# cellars (BIE-VOL) is a theft, not a degradation, even when a door is forced.
DEGRADATIONS = ("BIE-DEG", "BIE-TAG", "BIE-INC")
TARGET_GROUPS = ("residents", "staff", "property", "other")
COUNTRY = "FR"


@dataclass
class Tally:
    """Sums of one scope (all landlords, or one) over one territory."""

    facts: int = 0
    plainte: int = 0
    degradations: int = 0
    degradation_cost: Decimal = Decimal(0)
    by_domain: dict[str, int] = field(default_factory=dict)
    by_target: dict[str, int] = field(default_factory=dict)
    previous_facts: int = 0
    panel_facts: int = 0
    panel_previous: int = 0
    landlords: set[str] = field(default_factory=set)

    def add(self, other: Tally) -> None:
        """Fold another tally in (a child territory, or another landlord)."""
        self.facts += other.facts
        self.plainte += other.plainte
        self.degradations += other.degradations
        self.degradation_cost += other.degradation_cost
        for key, value in other.by_domain.items():
            self.by_domain[key] = self.by_domain.get(key, 0) + value
        for key, value in other.by_target.items():
            self.by_target[key] = self.by_target.get(key, 0) + value
        self.previous_facts += other.previous_facts
        self.panel_facts += other.panel_facts
        self.panel_previous += other.panel_previous
        self.landlords |= other.landlords


@dataclass(frozen=True)
class Place:
    """A territory of the observatory: France, a région or a département."""

    territory_id: str
    kind: str
    name: str
    code: str
    region_code: str | None
    social_dwellings: int | None


@dataclass
class Sums:
    """What the repository read, folded: per unit (a département id, or the place that holds
    facts counted above any département), the tally of all landlords and of each landlord."""

    all: dict[str, Tally] = field(default_factory=dict)
    by_landlord: dict[str, dict[str, Tally]] = field(default_factory=dict)
    panel: frozenset[str] = frozenset()


def unit_of(row: Mapping[str, Any]) -> str:
    """Where a counter row counts: its département, else its région (a fact placed on the région
    itself), else the country."""
    if row["departement_code"]:
        return f"DEP-{row['departement_code']}"
    if row["region_code"]:
        return f"REG-{row['region_code']}"
    return COUNTRY


def fold(rows: Iterable[Mapping[str, Any]]) -> Sums:
    """Fold the repository's rows (unit codes, landlord, `current`, domain, sums) into tallies,
    the stable panel decided first: the landlords with facts in both years."""
    rows = list(rows)
    years: dict[str, set[bool]] = {}
    for row in rows:
        if row["facts"]:
            years.setdefault(row["landlord_id"], set()).add(bool(row["current"]))
    panel = frozenset(k for k, seen in years.items() if len(seen) == 2)
    sums = Sums(panel=panel)
    for row in rows:
        unit, landlord = unit_of(row), row["landlord_id"]
        tally = Tally()
        facts = int(row["facts"])
        in_panel = landlord in panel
        if row["current"]:
            tally.facts = facts
            tally.plainte = int(row["plainte"])
            tally.degradations = int(row["degradations"] or 0)
            tally.degradation_cost = row["degradation_cost"] or Decimal(0)
            if row["domain"]:
                tally.by_domain[row["domain"]] = facts
            tally.by_target = {k: int(row[k]) for k in TARGET_GROUPS}
            tally.panel_facts = facts if in_panel else 0
            if facts:
                tally.landlords.add(landlord)
        else:
            tally.previous_facts = facts
            tally.panel_previous = facts if in_panel else 0
        sums.all.setdefault(unit, Tally()).add(tally)
        sums.by_landlord.setdefault(landlord, {}).setdefault(unit, Tally()).add(tally)
    return sums


@dataclass(frozen=True)
class Tree:
    """The territories of the observatory: France, its régions, each région's départements."""

    country: Place
    regions: list[Place]
    departements: dict[str, list[Place]]  # by région code

    @staticmethod
    def of(places: Iterable[Place]) -> Tree:
        """Arrange the reference's places (in the order they come: by code)."""
        country = Place(COUNTRY, "pays", "France", COUNTRY, None, None)
        regions: list[Place] = []
        departements: dict[str, list[Place]] = {}
        for place in places:
            if place.kind == "pays":
                country = place
            elif place.kind == "region":
                regions.append(place)
            elif place.kind == "departement" and place.region_code:
                departements.setdefault(place.region_code, []).append(place)
        return Tree(country, regions, departements)

    def children(self, place: Place) -> list[Place]:
        """The places a place sums."""
        if place.kind == "pays":
            return self.regions
        if place.kind == "region":
            return self.departements.get(place.code, [])
        return []


def tallies(tree: Tree, units: Mapping[str, Tally]) -> dict[str, Tally]:
    """Every place's tally: a département's own, a région's the sum of its départements (and of
    facts placed on the région itself), France's the sum of the régions (and of facts placed on
    France itself)."""
    out: dict[str, Tally] = {}

    def total(place: Place) -> Tally:
        tally = Tally()
        tally.add(units.get(place.territory_id, Tally()))
        for child in tree.children(place):
            tally.add(total(child))
        out[place.territory_id] = tally
        return tally

    total(tree.country)
    return out


# --- Suppression -------------------------------------------------------------------------------


def cells_of(place_id: str, tally: Tally, domains: Sequence[str]) -> dict[str, int]:
    """The counts of one row that a reader could add up, named `<place>:<count>`."""
    cells = {
        "facts": tally.facts,
        "plainte": tally.plainte,
        "degradations": tally.degradations,
        "previous_facts": tally.previous_facts,
        "panel_facts": tally.panel_facts,
        "panel_previous": tally.panel_previous,
        **{f"domain.{d}": tally.by_domain.get(d, 0) for d in domains},
        **{f"target.{t}": tally.by_target.get(t, 0) for t in TARGET_GROUPS},
    }
    return {f"{place_id}:{name}": value for name, value in cells.items()}


def withheld_cells(place_id: str, tally: Tally) -> set[str]:
    """The panel counts of a row that would give away a few facts outside the panel (facts −
    panel facts between 1 and 4; none is nothing to give away)."""
    out = set()
    if 0 < tally.facts - tally.panel_facts < THRESHOLD:
        out.add(f"{place_id}:panel_facts")
    if 0 < tally.previous_facts - tally.panel_previous < THRESHOLD:
        out.add(f"{place_id}:panel_previous")
    return out


def row_relations(place_id: str, domains: Sequence[str]) -> list[Relation]:
    """The relations between the counts of one row."""
    facts = f"{place_id}:facts"
    return [
        Relation(facts, tuple(f"{place_id}:domain.{d}" for d in domains)),
        Relation(facts, tuple(f"{place_id}:target.{t}" for t in TARGET_GROUPS)),
    ]


def table_relations(
    parent: str, children: Sequence[str], cells: Mapping[str, int]
) -> list[Relation]:
    """parent = Σ children, for every count of the parent's row. A part of the parent held by
    no child (facts placed on a région itself) is a child of its own."""
    relations = []
    for cell in [c for c in cells if c.startswith(f"{parent}:")]:
        count = cell.split(":", 1)[1]
        parts = tuple(f"{c}:{count}" for c in children if f"{c}:{count}" in cells)
        rest = cells[cell] - sum(cells[p] for p in parts)
        if rest:
            parts = (*parts, f"{parent}/placed-on-itself:{count}")
        relations.append(Relation(cell, parts))
    return relations


Table = tuple[dict[str, int], list[Relation]]


def shared_cells(
    tree: Tree, totals: Mapping[str, Tally], domains: Sequence[str]
) -> dict[str | None, Table]:
    """The tables the observatory publishes, as (cells, relations) by région code (None: the
    national table, France and its régions). A région's row sits in both tables."""
    tables: dict[str | None, Table] = {}
    for parent in [tree.country, *tree.regions]:
        members = [parent, *tree.children(parent)]
        cells: dict[str, int] = {}
        relations: list[Relation] = []
        for place in members:
            cells.update(cells_of(place.territory_id, totals[place.territory_id], domains))
            relations.extend(row_relations(place.territory_id, domains))
        relations.extend(
            table_relations(parent.territory_id, [m.territory_id for m in members[1:]], cells)
        )
        # The part of the parent no child holds is known to a reader only as the remainder:
        # a cell of its own, so that suppression protects it like a child.
        for relation in list(relations):
            for part in relation.children:
                if part.split(":", 1)[0].endswith("/placed-on-itself"):
                    whole = relation.parent
                    known = sum(cells[c] for c in relation.children if c != part)
                    cells[part] = cells[whole] - known
        key = None if parent.kind == "pays" else parent.code
        tables[key] = (cells, relations)
    return tables


def published(tables: Mapping[str | None, Table], withheld: set[str]) -> dict[str, int | None]:
    """Every count as the observatory may show it (None: suppressed). `withheld` are hidden from
    the start. A région's row sits in the national table and in its own: a count hidden by one
    table is hidden in the other. A count to hide goes into publish() as 0 (below any threshold,
    hence hidden, and protected by what else it hides), until no table hides anything more.

    publish() runs on each table's independent parts apart (the counts no relation ties
    together: plainte, degradations, the panel's, the facts with their domains and targets),
    which protects exactly as much, and is far quicker: its cost grows faster than the cells."""
    parts = [part for table in tables.values() for part in components(*table)]
    hidden = set(withheld)
    done: dict[int, tuple[frozenset[str], dict[str, int | None]]] = {}
    while True:
        shown: dict[str, int | None] = {}
        for index, (cells, relations) in enumerate(parts):
            forced_names = frozenset(hidden.intersection(cells))
            if index not in done or done[index][0] != forced_names:
                forced = {n: (0 if n in forced_names else v) for n, v in cells.items()}
                done[index] = (forced_names, publish(forced, relations))
            for name, value in done[index][1].items():
                if value is None or shown.get(name, 0) is None:
                    shown[name] = None
                else:
                    shown.setdefault(name, value)
        now_hidden = {name for name, value in shown.items() if value is None}
        if now_hidden <= hidden:
            return shown
        hidden |= now_hidden


FrozenTables = tuple[tuple[str | None, tuple[tuple[str, int], ...], tuple[Relation, ...]], ...]


def _frozen(tables: Mapping[str | None, Table]) -> FrozenTables:
    return tuple(
        (key, tuple(cells.items()), tuple(relations)) for key, (cells, relations) in tables.items()
    )


@functools.lru_cache(maxsize=16)
def published_once(tables: FrozenTables, withheld: frozenset[str]) -> dict[str, int | None]:
    """`published`, remembered for the same counts: the JSON, CSV and PDF of a year, and every
    landlord's request, share one suppression while the counters of those years stay put
    (every table of a year: a fraction of a second, sparse or dense, bench/suppression.py;
    tens of seconds on a sparse year before publish()'s incremental search). Callers must not
    change the result."""
    return published({key: (dict(cells), list(rel)) for key, cells, rel in tables}, set(withheld))


def components(cells: Mapping[str, int], relations: Sequence[Relation]) -> list[Table]:
    """The parts of a table that no relation ties to each other."""
    root = {name: name for name in cells}

    def find(name: str) -> str:
        while root[name] != name:
            root[name] = root[root[name]]
            name = root[name]
        return name

    for relation in relations:
        first = find(relation.parent)
        for child in relation.children:
            root[find(child)] = first
    groups: dict[str, Table] = {}
    for name, value in cells.items():
        groups.setdefault(find(name), ({}, []))[0][name] = value
    for relation in relations:
        groups[find(relation.parent)][1].append(relation)
    return list(groups.values())


# --- Rows ----------------------------------------------------------------------------------------


def row_figures(
    counts: Mapping[str, int | None],
    *,
    cost: Decimal | None,
    social_dwellings: int | None,
    domains: Sequence[str],
) -> dict[str, Any]:
    """The figures of one row from its counts (None where suppressed); rates from shown counts
    only."""
    facts, plainte = counts["facts"], counts["plainte"]
    degradations = counts["degradations"]
    panel, panel_previous = counts["panel_facts"], counts["panel_previous"]
    shown_cost = cost if degradations is not None and cost is not None else None
    per_dwelling = (
        round(float(shown_cost) / social_dwellings, 2)
        if shown_cost is not None and social_dwellings
        else None
    )
    return {
        "facts": facts,
        "facts_per_1000_dwellings": None
        if facts is None
        else rate_per_1000(facts, social_dwellings),
        "plainte": plainte,
        "complaint_share": (round(plainte / facts, 4) if facts and plainte is not None else None),
        "degradations": degradations,
        "degradation_cost_eur": None if shown_cost is None else float(round(shown_cost, 2)),
        "degradation_cost_per_dwelling": per_dwelling,
        "by_domain": {d: counts[f"domain.{d}"] for d in domains},
        "by_target": {t: counts[f"target.{t}"] for t in TARGET_GROUPS},
        "previous_facts": counts["previous_facts"],
        "panel": {
            "facts": panel,
            "previous_facts": panel_previous,
            "change_pct": (
                trend_pct(panel, panel_previous)
                if panel is not None and panel_previous is not None
                else None
            ),
        },
    }


def own_figures(
    tally: Tally, *, social_dwellings: int | None, domains: Sequence[str], shared_facts: int | None
) -> dict[str, Any]:
    """One landlord's own figures for a row, unsuppressed, with its share of the shared facts."""
    counts = {
        name.split(":", 1)[1]: value for name, value in cells_of("own", tally, domains).items()
    }
    body = row_figures(
        counts, cost=tally.degradation_cost, social_dwellings=social_dwellings, domains=domains
    )
    body["share_of_facts"] = round(tally.facts / shared_facts, 4) if shared_facts else None
    return body


def observatory(
    *,
    tree: Tree,
    sums: Sums,
    covered: Mapping[str, int],
    nomenclature: Nomenclature,
    landlord_id: str | None,
) -> dict[str, Any]:
    """The observatory's body: France, then each région with its départements. `covered`: the
    social dwellings of the QPVs with facts this year, by département id. `landlord_id`: add an
    `own` block to every row (that landlord's figures)."""
    domains = [d.code for d in nomenclature.domains]
    totals = tallies(tree, sums.all)
    hide = {c for p, t in totals.items() for c in withheld_cells(p, t)}
    shown = published_once(_frozen(shared_cells(tree, totals, domains)), frozenset(hide))
    by_place: dict[str, dict[str, int | None]] = {}
    for name, value in shown.items():
        place_id, count = name.split(":", 1)
        by_place.setdefault(place_id, {})[count] = value
    own_units = sums.by_landlord.get(landlord_id, {}) if landlord_id else None
    own_totals = tallies(tree, own_units) if own_units is not None else None
    covered_of = _covered(tree, covered)

    def row(place: Place) -> dict[str, Any]:
        counts = by_place.get(place.territory_id, {})
        tally = totals[place.territory_id]
        body = row_figures(
            counts,
            cost=Decimal(round(tally.degradation_cost / COST_ROUNDING_EUR) * COST_ROUNDING_EUR),
            social_dwellings=place.social_dwellings,
            domains=domains,
        )
        facts_shown = body["facts"] is not None
        dwellings = covered_of.get(place.territory_id, 0)
        out: dict[str, Any] = {
            "territory_id": place.territory_id,
            "kind": place.kind,
            "code": place.code,
            "name": place.name,
            "social_dwellings": place.social_dwellings,
            "coverage": {
                "landlords": len(tally.landlords) if facts_shown else None,
                "covered_dwellings": dwellings if facts_shown else None,
                "covered_share": (
                    round(dwellings / place.social_dwellings, 4)
                    if facts_shown and place.social_dwellings
                    else None
                ),
            },
            **body,
            "suppressed": sorted(k for k, v in counts.items() if v is None),
        }
        if own_totals is not None:
            out["own"] = own_figures(
                own_totals[place.territory_id],
                social_dwellings=place.social_dwellings,
                domains=domains,
                shared_facts=body["facts"],
            )
        return out

    return {
        "national": row(tree.country),
        "regions": [
            {**row(region), "departements": [row(d) for d in tree.children(region)]}
            for region in tree.regions
        ],
        "panel_landlords": len(sums.panel),
        "degradation_categories": list(DEGRADATIONS),
        "landlord_id": landlord_id,
    }


def _covered(tree: Tree, covered: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for region in tree.regions:
        total = 0
        for dep in tree.children(region):
            out[dep.territory_id] = covered.get(dep.territory_id, 0)
            total += out[dep.territory_id]
        out[region.territory_id] = total
    out[tree.country.territory_id] = sum(out[r.territory_id] for r in tree.regions)
    return out
