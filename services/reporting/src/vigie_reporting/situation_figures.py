"""The figures of the CLSPD situation report, pure: every count the document shows is a cell of
one table, published through `suppression.publish` with the relations an adversary knows (one
call per set of cells the relations tie together, see `publish_by_component`), and every derived
figure (rates, shares, trends, rankings) is computed from published values only (None when one
of its inputs is hidden).

The table holds the shared summary's cells and relations (`figures.count_cells`,
`figures.shared_relations`: total = Σ categories = Σ domains = …), and beside them:
- the 12 months of the trend, incidents and plaintes: trend total = Σ months, trend plaintes =
  Σ monthly plaintes (the trend total is `total` itself when the period is those 12 months);
- the plaintes of the previous period (for the gap's evolution);
- social dwellings: the territory's = Σ its QPVs' when the reference adds up that way;
- the département's and the country's totals and dwellings (their rates)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from vigie.contract.nomenclature import Nomenclature
from vigie_reporting.figures import Sums, count_cells, shared_relations
from vigie_reporting.periods import Period, trend_pct
from vigie_reporting.suppression import Relation, publish

LEADING = 5  # categories listed as the leading ones


@dataclass(frozen=True)
class Comparison:
    """A territory the report compares with: its id, name, period total and dwellings."""

    territory_id: str
    name: str
    total: int
    social_dwellings: int | None


@dataclass(frozen=True)
class Qpv:
    """A QPV of the territory, for the map's legend."""

    territory_id: str
    name: str
    social_dwellings: int | None


@dataclass(frozen=True)
class Month:
    """One month of the trend: its first day, incidents and plaintes (of the days covered)."""

    start: date
    incidents: int
    plainte: int


@dataclass
class SituationInputs:
    """What the I/O gathering hands over: raw figures, before any suppression."""

    place: Mapping[str, Any]
    period: Period
    body: Mapping[str, Any]  # figures.summary_body of the territory, all landlords
    previous: Sums
    months: Sequence[Month]
    trend_period: Period
    qpvs: Sequence[Qpv]
    departement: Comparison | None
    country: Comparison | None
    alerts: Sequence[Mapping[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Rates:
    """Facts per 1,000 social dwellings: the territory's, its département's, the country's."""

    territory: float | None
    departement: float | None
    country: float | None


@dataclass
class SituationFigures:
    """What the document shows: published cells (None: hidden) and figures derived from them."""

    cells: dict[str, int]
    relations: list[Relation]
    published: dict[str, int | None]
    rates: Rates
    trend_pct: float | None
    complaint_share: float | None
    previous_complaint_share: float | None
    monthly_share: list[float | None]
    leading: list[tuple[str, int]]

    def value(self, name: str) -> int | None:
        """A published cell (None: hidden or absent)."""
        return self.published.get(name)

    @property
    def hidden(self) -> list[str]:
        """The hidden cells, by name."""
        return sorted(name for name, value in self.published.items() if value is None)


def month_key(month: Month | date) -> str:
    """The cell-name stem of a month: `month.2026-01`."""
    start = month.start if isinstance(month, Month) else month
    return f"month.{start:%Y-%m}"


def situation_figures(inputs: SituationInputs, nomenclature: Nomenclature) -> SituationFigures:
    """Build the cell table, publish it, derive the rest from what is published."""
    cells, relations = cell_table(inputs, nomenclature)
    published = publish_by_component(cells, relations)
    return SituationFigures(
        cells=cells,
        relations=relations,
        published=published,
        rates=Rates(
            territory=_per_1000(published, "total", "dwellings"),
            departement=_per_1000(published, "departement.total", "departement.dwellings"),
            country=_per_1000(published, "country.total", "country.dwellings"),
        ),
        trend_pct=_trend(published.get("total"), published.get("previous_total")),
        complaint_share=_share(published.get("by_complaint.plainte"), published.get("total")),
        previous_complaint_share=_share(
            published.get("previous.plainte"), published.get("previous_total")
        ),
        monthly_share=[
            _share(
                published.get(f"{month_key(m)}.plainte"), published.get(f"{month_key(m)}.incidents")
            )
            for m in inputs.months
        ],
        leading=leading_categories(published, limit=LEADING),
    )


def cell_table(
    inputs: SituationInputs, nomenclature: Nomenclature
) -> tuple[dict[str, int], list[Relation]]:
    """Every count of the document by name, and the additive relations between them."""
    cells = count_cells(inputs.body)
    relations = shared_relations(inputs.body, nomenclature)
    cells["previous.plainte"] = inputs.previous.by_complaint.get("plainte", 0)
    # The trend: when its 12 months are the period, its total is the period's total.
    same = inputs.trend_period == inputs.period
    total, plainte = ("total", "by_complaint.plainte") if same else ("trend.total", "trend.plainte")
    if not same:
        cells[total] = sum(m.incidents for m in inputs.months)
        cells[plainte] = sum(m.plainte for m in inputs.months)
    for month in inputs.months:
        cells[f"{month_key(month)}.incidents"] = month.incidents
        cells[f"{month_key(month)}.plainte"] = month.plainte
    relations.append(Relation(total, tuple(f"{month_key(m)}.incidents" for m in inputs.months)))
    relations.append(Relation(plainte, tuple(f"{month_key(m)}.plainte" for m in inputs.months)))
    relations.extend(_dwelling_cells(inputs, cells))
    for prefix, other in (("departement", inputs.departement), ("country", inputs.country)):
        if other is not None:
            cells[f"{prefix}.total"] = other.total
            if other.social_dwellings is not None:
                cells[f"{prefix}.dwellings"] = other.social_dwellings
    return cells, relations


def publish_by_component(
    cells: Mapping[str, int], relations: Sequence[Relation]
) -> dict[str, int | None]:
    """`publish` applied to each set of cells that relations tie together (cells in no
    relation form one set): no relation crosses two sets, so what one shows says nothing of
    another's hidden cells, and the exact search for recoverable cells, whose cost grows with
    the square of the hidden cells it solves for at once, runs on small systems."""
    parent = {name: name for name in cells}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for relation in relations:
        for cell in relation.children:
            parent[root(cell)] = root(relation.parent)
    tied = {c for r in relations for c in r.cells}
    groups: dict[str, list[str]] = {}
    for name in cells:
        groups.setdefault(root(name) if name in tied else "", []).append(name)
    published: dict[str, int | None] = {}
    for key, names in groups.items():
        members = set(names)
        own = [r for r in relations if r.parent in members] if key else []
        published.update(publish({n: cells[n] for n in names}, own))
    return {name: published[name] for name in cells}


def _dwelling_cells(inputs: SituationInputs, cells: dict[str, int]) -> list[Relation]:
    """The territory's and its QPVs' dwellings; tied when the territory's is their sum (a
    grouping's figure is the sum over its QPVs, see vigie.platform.territories)."""
    own = inputs.place.get("social_dwellings")
    if own is not None:
        cells["dwellings"] = int(own)
    if inputs.place.get("kind") == "qpv":
        return []
    members = []
    for qpv in inputs.qpvs:
        if qpv.social_dwellings is not None:
            cells[f"qpv.{qpv.territory_id}.dwellings"] = qpv.social_dwellings
            members.append(f"qpv.{qpv.territory_id}.dwellings")
    if own is not None and members and sum(cells[m] for m in members) == own:
        return [Relation("dwellings", tuple(members))]
    return []


def leading_categories(published: Mapping[str, int | None], *, limit: int) -> list[tuple[str, int]]:
    """The categories with the most facts, among those published (a hidden one is not ranked:
    its place in the ranking would bound it)."""
    shown = [
        (name.removeprefix("by_category."), value)
        for name, value in published.items()
        if name.startswith("by_category.") and value
    ]
    return sorted(shown, key=lambda item: (-item[1], item[0]))[:limit]


def _per_1000(published: Mapping[str, int | None], count: str, dwellings: str) -> float | None:
    facts, homes = published.get(count), published.get(dwellings)
    if facts is None or not homes:
        return None
    return round(facts * 1000.0 / homes, 2)


def _share(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return part / whole


def _trend(current: int | None, previous: int | None) -> float | None:
    if current is None or previous is None:
        return None
    return trend_pct(current, previous)
