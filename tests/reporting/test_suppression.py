"""Adversarial tests of the CLSPD suppression: an attacker who knows every additive relation of
the shared view must not recompute any hidden count. The attacker here is independent of the
module's own check: interval propagation over non-negative integers (what a person with a
spreadsheet does), run to a fixed point."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
from vigie_reporting.suppression import Relation, recoverable, suppress

NOMENCLATURE = default_nomenclature()
CATEGORIES = [c.code for c in NOMENCLATURE.categories]


def attack(published: dict[str, int | None], relations: list[Relation]) -> dict[str, int]:
    """Hidden cells an interval-propagation attacker pins to one value."""
    low: dict[str, float] = {k: (v if v is not None else 0) for k, v in published.items()}
    high: dict[str, float] = {k: (v if v is not None else math.inf) for k, v in published.items()}
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
        if value < 5:
            assert published[cell] is None, f"{cell}={value} shown"
        elif published[cell] is not None:
            assert published[cell] == value
    relations = shared_relations(body, NOMENCLATURE)
    assert attack(published, relations) == {}
    hidden = {k for k, v in published.items() if v is None}
    assert recoverable(truth, hidden, relations) == set()
    assert shared["suppressed"] == bool(hidden)
    assert set(shared["suppressed_cells"]) == hidden
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
    assert shared["total"] == 57


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
    assert body["by_category"]["ENV-DEP"] == 12
    # BIE-TAG (7) is hidden as a complement: cadre_de_vie (19) minus ENV-DEP would otherwise
    # show that the other cadre_de_vie categories are 0, and BIE-TAG with them.
    assert body["by_category"]["BIE-TAG"] is None
    assert body["by_category"]["TRA-DEA"] is None
    assert "by_category.TRA-DEA" in body["suppressed_cells"]
    published = published_cells(body)
    relations = shared_relations(body, NOMENCLATURE)
    assert attack(published, relations) == {}
    # Nothing small is left visible anywhere.
    for value in published.values():
        assert value is None or value >= 5
    assert body["landlord_id"] is None
