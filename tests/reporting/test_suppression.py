"""Adversarial tests of the CLSPD suppression: an attacker who knows every additive relation of
the shared view, and that a shown count is rounded to the nearest 5, must not recompute any
hidden count. The attacker here is independent of the module's own check: interval propagation
over non-negative integers (what a person with a spreadsheet does), run to a fixed point; and
for publish() itself, linear programming (tests/reporting/attacker.py). Differencing across
answers: test_differencing."""

from __future__ import annotations

import math
from datetime import timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reporting.attacker import LinearAttacker, pinned
from tests.reporting.conftest import LANDY, SEMARD, Count, Reporting
from vigie.contract.events import COMPLAINTS, TARGETS
from vigie.contract.nomenclature import default_nomenclature
from vigie_reporting.figures import (
    SEVERITIES,
    Sums,
    count_cells,
    shared_relations,
    summary_body,
    suppressed_body,
)
from vigie_reporting.periods import today_in_paris
from vigie_reporting.suppression import (
    Relation,
    bounds,
    publish,
    recoverable,
    rounded,
    suppress,
)

NOMENCLATURE = default_nomenclature()
CATEGORIES = [c.code for c in NOMENCLATURE.categories]


def attack(published: dict[str, int | None], relations: list[Relation]) -> dict[str, int]:
    """Hidden cells an interval-propagation attacker pins to one value."""
    low: dict[str, float] = {
        k: (bounds(v)[0] if v is not None else 0) for k, v in published.items()
    }
    high: dict[str, float] = {
        k: (bounds(v)[1] if v is not None else math.inf) for k, v in published.items()
    }
    changed = True
    while changed:
        changed = False
        for relation in relations:
            # parent = Σ children: bound each side by the others.
            children_low = sum(low[c] for c in relation.children)
            children_high = sum(high[c] for c in relation.children)
            updates: list[tuple[str, float, float]] = [
                (relation.parent, children_low, children_high)
            ]
            for child in relation.children:
                others_low = children_low - low[child]
                others_high = children_high - high[child]
                updates.append(
                    (child, low[relation.parent] - others_high, high[relation.parent] - others_low)
                )
            for cell, lo, hi in updates:
                if lo > low[cell]:
                    low[cell], changed = lo, True
                if hi < high[cell]:
                    high[cell], changed = hi, True
    return {k: int(low[k]) for k, v in published.items() if v is None and low[k] == high[k]}


def body_of(
    categories: dict[str, int],
    *,
    severities: dict[str, int] | None = None,
    targets: dict[str, int] | None = None,
    complaints: dict[str, int] | None = None,
    previous: int = 50,
) -> dict[str, Any]:
    """A consistent summary body; unspecified breakdowns put everything in one cell."""
    total = sum(categories.values())
    return summary_body(
        current=Sums(
            by_category=categories,
            by_severity=severities or {"2": total},
            by_target=targets or {"patrimoine": total},
            by_complaint=complaints or {"aucune": total},
        ),
        previous=Sums(by_category={"BIE-TAG": previous}),
        nomenclature=NOMENCLATURE,
        social_dwellings=1000,
    )


def published_cells(shared: dict[str, Any]) -> dict[str, int | None]:
    """The shared body's counts as the attacker reads them."""
    cells: dict[str, int | None] = {
        "total": shared["total"],
        "staff_targeted": shared["staff_targeted"],
        "previous_total": shared["previous_total"],
    }
    for group in ("by_category", "by_domain", "by_severity", "by_target", "by_complaint"):
        cells.update({f"{group}.{k}": v for k, v in shared[group].items()})
    return cells


def assert_safe(body: dict[str, Any]) -> dict[str, Any]:
    """Suppress, then check the contract's promises against the attacker; return the view."""
    shared = suppressed_body(body, NOMENCLATURE)
    truth = count_cells(body)
    published = published_cells(shared)
    for cell, value in truth.items():
        shown = published[cell]
        if value < 5:
            assert shown is None, f"{cell}={value} shown"
        elif shown is not None:
            assert shown == rounded(value)
            assert shown % 5 == 0
            assert shown >= 5
            low, high = bounds(shown)
            assert low <= value <= high
    relations = shared_relations(body, NOMENCLATURE)
    assert attack(published, relations) == {}
    hidden = {k for k, v in published.items() if v is None}
    assert recoverable(truth, hidden, relations) == set()
    assert shared["suppressed"] == bool(hidden)
    assert set(shared["suppressed_cells"]) == hidden
    assert shared["rounding"] == 5
    return shared


def test_a_single_small_category_is_not_total_minus_the_others() -> None:
    categories = dict.fromkeys(CATEGORIES, 10)
    categories["PER-PHY"] = 2
    shared = assert_safe(body_of(categories))
    hidden = [k for k, v in shared["by_category"].items() if v is None]
    assert "PER-PHY" in hidden
    assert len(hidden) >= 2  # a complementary cell
    assert shared["total"] is not None  # the total itself stays visible


def test_a_small_category_is_not_its_domain_minus_the_others() -> None:
    # Protecting PER-PHY in the total is not enough: prevention_insecurite also sums it.
    categories = dict.fromkeys(CATEGORIES, 10)
    categories["PER-PHY"] = 1
    categories["BIE-TAG"] = 9
    assert_safe(body_of(categories))


def test_zeros_are_not_revealed_by_the_cells_that_add_up() -> None:
    # Everything in two categories: the others are 0, and shown cells adding up would say so.
    categories = dict.fromkeys(CATEGORIES, 0)
    categories.update({"BIE-TAG": 37, "TRA-DEA": 20})
    shared = assert_safe(body_of(categories, complaints={"plainte": 42, "aucune": 15}))
    assert shared["total"] == 55  # 57, rounded


def test_small_total_hides_every_derived_figure() -> None:
    shared = assert_safe(body_of({"BIE-TAG": 3}))
    assert shared["total"] is None
    assert shared["rate_per_1000_dwellings"] is None
    assert shared["trend_pct"] is None
    assert shared["complaint_rate"] is None
    assert shared["cost_eur"] is None


def test_staff_targeted_does_not_reveal_personnel_or_contractors() -> None:
    categories = dict.fromkeys(CATEGORIES, 10)
    targets = {"patrimoine": 150, "personnel": 3, "prestataire": 7, "locataire": 20, "autre": 0}
    shared = assert_safe(body_of(categories, targets=targets))
    assert shared["by_target"]["personnel"] is None
    assert shared["staff_targeted"] is None or shared["by_target"]["prestataire"] is None


def test_every_breakdown_against_the_total_at_once() -> None:
    categories = dict.fromkeys(CATEGORIES, 6)
    categories["SQU-LOG"] = 4
    total = sum(categories.values())
    shared = assert_safe(
        body_of(
            categories,
            severities={"1": 4, "2": total - 4 - 30, "3": 30, "4": 0},
            targets={"patrimoine": total - 2, "personnel": 2},
            complaints={"plainte": 1, "main_courante": 10, "aucune": total - 11},
        )
    )
    assert shared["complaint_rate"] is None  # plainte hidden: the rate would reveal it


def test_the_trend_does_not_reveal_a_small_previous_total() -> None:
    shared = assert_safe(body_of(dict.fromkeys(CATEGORIES, 10), previous=3))
    assert shared["previous_total"] is None
    assert shared["trend_pct"] is None


def test_nothing_to_hide_shows_everything() -> None:
    cells = {"a": 10, "b": 20, "t": 30}
    assert suppress(cells, [Relation("t", ("a", "b"))]) == frozenset()


def test_one_small_cell_in_a_plain_table_costs_one_complement() -> None:
    cells = {"a": 3, "b": 20, "c": 9, "t": 32}
    assert suppress(cells, [Relation("t", ("a", "b", "c"))]) == {"a", "c"}


def test_a_linear_combination_across_relations_is_caught() -> None:
    # r1 = a + b, r2 = b + c, t = r1 + c: a and c hidden, b hidden as their complement in r1/r2…
    # yet a = t - r2 whatever b is, which no single relation shows.
    cells = {"a": 2, "b": 8, "c": 3, "r1": 10, "r2": 11, "t": 13}
    relations = [Relation("r1", ("a", "b")), Relation("r2", ("b", "c")), Relation("t", ("r1", "c"))]
    hidden = suppress(cells, relations)
    assert recoverable(cells, hidden, relations) == set()
    assert {"a", "c"} <= hidden


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(min_value=0, max_value=12), min_size=18, max_size=18),
    split=st.lists(st.integers(min_value=0, max_value=3), min_size=3, max_size=3),
)
def test_random_tables_never_leak(values: list[int], split: list[int]) -> None:
    categories = dict(zip(CATEGORIES, values, strict=True))
    total = sum(values)
    # Severity, target and complaint breakdowns carved out of the total, some of them small.
    severities = {"1": min(split[0], total)}
    severities["2"] = total - severities["1"]
    targets = {"personnel": min(split[1], total)}
    targets["patrimoine"] = total - targets["personnel"]
    complaints = {"plainte": min(split[2] * 3, total)}
    complaints["aucune"] = total - complaints["plainte"]
    body = body_of(categories, severities=severities, targets=targets, complaints=complaints)
    assert set(body["by_severity"]) == set(SEVERITIES)
    assert set(body["by_target"]) == set(TARGETS)
    assert set(body["by_complaint"]) == set(COMPLAINTS)
    assert_safe(body)


@st.composite
def nested_tables(draw: st.DrawFn) -> tuple[dict[str, int], list[Relation], dict[str, list[str]]]:
    """A table of small counts with two breakdowns of one total, one of them nested (total =
    Σ groups, group = Σ its leaves; total = Σ another partition): the shapes of the shared
    view. Returns the cells, the relations and each cell as a sum of unknown leaves."""
    groups = draw(st.integers(min_value=1, max_value=4))
    sizes = draw(st.lists(st.integers(1, 4), min_size=groups, max_size=groups))
    leaves = {f"g{g}.l{i}": draw(st.integers(0, 14)) for g, n in enumerate(sizes) for i in range(n)}
    total = sum(leaves.values())
    parts = draw(st.integers(min_value=2, max_value=4))
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=parts - 1, max_size=parts - 1)))
    other = {
        f"p{i}": b - a for i, (a, b) in enumerate(zip([0, *cuts], [*cuts, total], strict=True))
    }
    terms: dict[str, list[str]] = {name: [name] for name in [*leaves, *other]}
    cells: dict[str, int] = {**leaves, **other, "total": total}
    relations = [Relation("total", tuple(other))]
    group_names = []
    for g, n in enumerate(sizes):
        members = tuple(f"g{g}.l{i}" for i in range(n))
        cells[f"g{g}"] = sum(leaves[m] for m in members)
        terms[f"g{g}"] = list(members)
        relations.append(Relation(f"g{g}", members))
        group_names.append(f"g{g}")
    relations.append(Relation("total", tuple(group_names)))
    terms["total"] = list(leaves)
    return cells, relations, terms


@settings(max_examples=80, deadline=None)
@given(nested_tables())
def test_publish_leaves_no_hidden_cell_to_linear_programming(
    table: tuple[dict[str, int], list[Relation], dict[str, list[str]]],
) -> None:
    cells, relations, terms = table
    shown = publish(cells, relations)
    hidden = {name for name, value in shown.items() if value is None}
    # Exact suppression first: nothing recomputable from exact values…
    assert recoverable(cells, hidden, relations) == set()
    # …then what is published, rounded: an LP adversary knowing the relations and the rounding
    # pins no hidden cell to one value.
    attacker = LinearAttacker()
    for name, value in shown.items():
        attacker.observe(terms[name], value)
    attacker.equal(terms["total"], [p for p in terms if p.startswith("p")])
    assert attacker.holds_for(cells)
    for name in hidden:
        low, high = attacker.range_of(terms[name])
        assert low - 1e-6 <= cells[name] <= high + 1e-6
        assert not pinned(low, high), f"{name}={cells[name]} pinned by {shown}"
    for value in shown.values():
        if value is not None:
            assert value % 5 == 0
            assert value >= 5


@st.composite
def sparse_national_tables(draw: st.DrawFn) -> tuple[dict[str, int], list[Relation]]:
    """The observatory's national table, small and sparse: a country row over a few rows, each
    with facts = Σ 4 domains = Σ 4 targets, and every count of the country = Σ the rows'; many
    rows with no or a few facts, some with enough to show."""
    places = draw(st.integers(min_value=1, max_value=7))
    counts = ["facts", *(f"domain.{i}" for i in range(4)), *(f"target.{i}" for i in range(4))]
    cells: dict[str, int] = {}
    relations: list[Relation] = []
    rows = [f"r{p}" for p in range(places)]
    for row in rows:
        facts = draw(st.one_of(st.just(0), st.integers(1, 6), st.integers(5, 40)))
        for kind in ("domain", "target"):
            cuts = sorted(draw(st.lists(st.integers(0, facts), min_size=3, max_size=3)))
            parts = [b - a for a, b in zip([0, *cuts], [*cuts, facts], strict=True)]
            cells.update({f"{row}:{kind}.{i}": v for i, v in enumerate(parts)})
        cells[f"{row}:facts"] = facts
    for row in ["FR", *rows]:
        for kind in ("domain", "target"):
            relations.append(Relation(f"{row}:facts", tuple(f"{row}:{kind}.{i}" for i in range(4))))
    for count in counts:
        cells[f"FR:{count}"] = sum(cells[f"{row}:{count}"] for row in rows)
        relations.append(Relation(f"FR:{count}", tuple(f"{row}:{count}" for row in rows)))
    return cells, relations


def determined(rows: list[list[Fraction]]) -> set[int]:
    """The columns a linear system fixes: Gauss-Jordan over the rationals, then the rows left
    with a single non-zero entry."""
    matrix = [list(row) for row in rows if any(row)]
    done = 0
    for column in range(len(matrix[0]) if matrix else 0):
        pivot = next((r for r in range(done, len(matrix)) if matrix[r][column]), None)
        if pivot is None:
            continue
        matrix[done], matrix[pivot] = matrix[pivot], matrix[done]
        matrix[done] = [x / matrix[done][column] for x in matrix[done]]
        for r, row in enumerate(matrix):
            if r != done and row[column]:
                matrix[r] = [x - row[column] * y for x, y in zip(row, matrix[done], strict=True)]
        done += 1
    singles = [[i for i, x in enumerate(row) if x] for row in matrix[:done]]
    return {nonzero[0] for nonzero in singles if len(nonzero) == 1}


@settings(max_examples=150, deadline=None)
@given(sparse_national_tables())
def test_the_search_on_sparse_tables_leaves_nothing_recoverable(
    table: tuple[dict[str, int], list[Relation]],
) -> None:
    # suppress() protects each part of the table alone and tries candidates incrementally;
    # checked here by recoverable() and by a plain check of its two rules, independent of the
    # module: no relation with a shown parent whose hidden children must be 0, and no hidden
    # cell that the hidden-cell system fixes (exact rational Gauss-Jordan).
    cells, relations = table
    hidden = suppress(cells, relations)
    assert {name for name, value in cells.items() if value < 5} <= hidden
    assert recoverable(cells, hidden, relations) == set()
    for relation in relations:
        children = [c for c in relation.children if c in hidden]
        assert relation.parent in hidden or not children or sum(cells[c] for c in children) > 0
    order = sorted(hidden)
    system = [
        [Fraction((cell == r.parent) - r.children.count(cell)) for cell in order] for r in relations
    ]
    assert {order[i] for i in determined(system)} == set()
    shown = publish(cells, relations)
    assert {name for name, value in shown.items() if value is None} == hidden
    assert attack(shown, relations) == {}


@pytest.mark.connected
async def test_the_shared_endpoint_suppresses_across_landlords(reporting: Reporting) -> None:
    day = today_in_paris() - timedelta(days=1)
    # Each landlord alone is small; together the tags are not. One deal point stays small.
    await reporting.add_counts(
        [
            Count(LANDY, day, "BIE-TAG", "hlm-a", 3),
            Count(LANDY, day, "BIE-TAG", "hlm-b", 4),
            Count(LANDY, day, "ENV-DEP", "hlm-b", 12),
            Count(LANDY, day, "TRA-DEA", "hlm-a", 1, plainte=1),
            Count(SEMARD, day, "BIE-TAG", "hlm-a", 40),
        ],
    )
    partner = await reporting.key("partner", territory_ids=["DEP-93"])
    response = await reporting.get(f"/v1/shared/territories/{LANDY}/summary", partner)
    body = response.json()
    assert response.status_code == 200
    assert body["suppressed"] is True
    assert body["total"] == 20
    assert body["by_category"]["ENV-DEP"] == 10  # 12, rounded
    assert body["rounding"] == 5
    # BIE-TAG (7) is hidden as a complement: cadre_de_vie (19) minus ENV-DEP would otherwise
    # show that the other cadre_de_vie categories are 0, and BIE-TAG with them.
    assert body["by_category"]["BIE-TAG"] is None
    assert body["by_category"]["TRA-DEA"] is None
    assert "by_category.TRA-DEA" in body["suppressed_cells"]
    published = published_cells(body)
    relations = shared_relations(body, NOMENCLATURE)
    assert attack(published, relations) == {}
    # Nothing small is left visible anywhere, and every shown count is a multiple of 5.
    for value in published.values():
        assert value is None or (value >= 5 and value % 5 == 0)
    assert body["landlord_id"] is None
