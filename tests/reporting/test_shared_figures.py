"""The partner dashboard's series and ranking in the shared view (vigie_reporting.shared_figures),
pure: what is published, what is hidden, and that no hidden count can be recomputed from an
answer by the independent interval attacker of test_suppression."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reporting.test_suppression import attack
from vigie_reporting.shared_figures import (
    OUTSIDE,
    Place,
    Scope,
    published_ranking,
    published_series,
    ranking_cells,
)
from vigie_reporting.suppression import Relation, publish, suppress

MONTHS = [date(2026, m, 1) for m in range(1, 7)]


def qpv(territory_id: str, count: int, *, dwellings: int | None = 1000, name: str = "") -> Place:
    return Place(
        territory_id=territory_id,
        name=name or territory_id,
        kind="qpv",
        departement_code="93",
        social_dwellings=dwellings,
        count=count,
    )


def commune(territory_id: str, count: int) -> Place:
    return Place(
        territory_id=territory_id,
        name=territory_id,
        kind="commune",
        departement_code="93",
        social_dwellings=20000,
        count=count,
    )


def test_a_series_shows_large_buckets_and_hides_small_ones() -> None:
    points = [
        (m, n, p)
        for m, n, p in zip(MONTHS, [40, 3, 25, 30, 10, 12], [8, 0, 6, 5, 5, 2], strict=True)
    ]
    out = published_series(points)
    assert out["total"] == 120  # a multiple of 5: unchanged by publish's rounding
    incidents = [p["incidents"] for p in out["points"]]
    assert incidents[1] is None  # 3 < 5
    # One hidden bucket alone would be total minus the others: a second one is hidden too.
    assert sum(v is None for v in incidents) >= 2
    assert [p["bucket"] for p in out["points"]] == MONTHS
    assert out["suppressed"] is True
    assert "incidents.2026-02-01" in out["suppressed_cells"]


def test_a_quiet_series_never_shows_a_zero() -> None:
    out = published_series([(m, 0, 0) for m in MONTHS])
    assert all(p["incidents"] is None and p["plainte"] is None for p in out["points"])
    assert out["total"] is None


def saint_denis() -> Scope:
    return Scope(
        place=commune("COM-93066", 50),
        qpvs=(qpv("QN1", 15, dwellings=1040), qpv("QN2", 30, dwellings=7828), qpv("QN3", 0)),
    )


def test_a_ranking_partitions_each_territory_and_ranks_by_published_rate() -> None:
    cells, relations = ranking_cells([saint_denis()])
    assert cells == {"COM-93066": 50, "QN1": 15, "QN2": 30, "QN3": 0, f"COM-93066.{OUTSIDE}": 5}
    assert [(r.parent, r.children) for r in relations] == [
        ("COM-93066", ("QN1", "QN2", "QN3", f"COM-93066.{OUTSIDE}"))
    ]
    out = published_ranking([saint_denis()])
    by_id = {i["territory_id"]: i for i in out["items"]}
    assert by_id["QN3"]["count"] is None  # zero is suppressed too
    assert by_id["QN3"]["rate_per_1000_dwellings"] is None
    # QN3 is 0 once 15 + 30 + 5 = 50 are shown: what lies outside the QPVs is hidden too.
    assert out["territories"][0]["outside_qpv"] is None
    assert out["territories"][0]["count"] == 50
    assert by_id["QN1"]["rate_per_1000_dwellings"] == 14.42  # 15 * 1000 / 1040
    assert [i["territory_id"] for i in out["items"]] == ["QN1", "QN2", "QN3"]
    assert [i["rank"] for i in out["items"]] == [1, 2, 3]


def test_hidden_entries_come_last_by_name_whatever_their_value() -> None:
    scope = Scope(
        place=commune("COM-1", 100),
        qpvs=(
            qpv("QA", 4, name="Zèbre"),
            qpv("QB", 1, name="Abeille"),
            qpv("QC", 60, name="Moyen"),
            qpv("QD", 35, name="Autre"),
        ),
    )
    out = published_ranking([scope])
    hidden = [i["name"] for i in out["items"] if i["count"] is None]
    assert hidden == sorted(hidden)
    assert [i["count"] is None for i in out["items"]] == sorted(
        i["count"] is None for i in out["items"]
    )


def test_a_qpv_under_two_of_the_key_territories_is_one_cell() -> None:
    shared = qpv("QN1", 15)
    scopes = [
        Scope(place=commune("COM-A", 40), qpvs=(shared, qpv("QN2", 20))),
        Scope(place=commune("COM-B", 30), qpvs=(shared, qpv("QN3", 9))),
    ]
    cells, relations = ranking_cells(scopes)
    assert len(relations) == 2
    assert cells["QN1"] == 15
    out = published_ranking(scopes)
    assert sorted(i["territory_id"] for i in out["items"]) == ["QN1", "QN2", "QN3"]


def test_a_qpv_key_is_ranked_alone() -> None:
    out = published_ranking([Scope(place=qpv("QN1", 15), qpvs=())])
    assert [(i["territory_id"], i["count"]) for i in out["items"]] == [("QN1", 15)]
    assert out["territories"][0]["outside_qpv"] is None


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=7),
    outside=st.integers(min_value=0, max_value=20),
)
def test_no_hidden_cell_of_a_ranking_can_be_recomputed(counts: list[int], outside: int) -> None:
    scope = Scope(
        place=commune("COM-1", sum(counts) + outside),
        qpvs=tuple(qpv(f"Q{n}", c) for n, c in enumerate(counts)),
    )
    cells, relations = ranking_cells([scope])
    # The attacker gets the exact shown counts (publish may round them: that only widens).
    hidden = suppress(cells, relations)
    assert attack({k: None if k in hidden else v for k, v in cells.items()}, relations) == {}
    shown = publish(cells, relations)
    assert {k for k, v in shown.items() if v is None} == hidden
    out = published_ranking([scope])
    assert {i["territory_id"]: i["count"] for i in out["items"]} == {
        k: v for k, v in shown.items() if k.startswith("Q")
    }


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=12))
def test_no_hidden_bucket_can_be_recomputed(counts: list[int]) -> None:
    days = [date(2026, 1, 1 + n) for n in range(len(counts))]
    series = published_series([(d, c, 0) for d, c in zip(days, counts, strict=True)])
    hidden = {
        f"incidents.{p['bucket'].isoformat()}" for p in series["points"] if p["incidents"] is None
    }
    if series["total"] is None:
        hidden.add("total")
    cells = {
        "total": sum(counts),
        **{f"incidents.{d.isoformat()}": c for d, c in zip(days, counts, strict=True)},
    }
    relation = Relation("total", tuple(f"incidents.{d.isoformat()}" for d in days))
    assert attack({k: None if k in hidden else v for k, v in cells.items()}, [relation]) == {}
