"""The complaint gap of a territory (per landlord and in the CLSPD shared view) and the regional
ranking of départements and régions by gap, from counter rows in the real database."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from tests.reporting.conftest import BOURG, LANDY, SEMARD, Count, Reporting
from tests.reporting.test_rollups import rebuilt_after
from vigie_reporting.complaint_gap import GapCounts, cells, relations
from vigie_reporting.periods import today_in_paris
from vigie_reporting.suppression import recoverable

pytestmark = pytest.mark.connected

TODAY = today_in_paris()
D = TODAY - timedelta(days=3)
PREVIOUS = TODAY - timedelta(days=40)  # in the previous 30-day period


async def seed(reporting: Reporting) -> None:
    await reporting.add_counts(
        [
            Count(LANDY, D, "BIE-TAG", "hlm-a", 6, plainte=1),
            Count(LANDY, D, "PER-VER", "hlm-a", 4, plainte=3, target="personnel"),
            Count(LANDY, D, "TRA-DEA", "hlm-b", 10, plainte=2, target="prestataire"),
            Count(LANDY, PREVIOUS, "BIE-TAG", "hlm-a", 16, plainte=8),
            Count(SEMARD, D, "BIE-TAG", "hlm-a", 7),
            Count(SEMARD, D, "TRA-DEA", "hlm-b", 30, plainte=25, target="prestataire"),
            Count(SEMARD, PREVIOUS, "TRA-DEA", "hlm-b", 20, plainte=10, target="prestataire"),
            Count(BOURG, D, "ENV-DEP", "hlm-c", 9, plainte=9),
        ]
    )


def by(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


async def test_a_territory_gap_by_category_and_target_with_its_trend(
    reporting: Reporting,
) -> None:
    await seed(reporting)
    response = await reporting.get(f"/v1/territories/{LANDY}/complaint-gap")
    assert response.status_code == 200
    body = response.json()
    assert body["territory_id"] == LANDY
    assert body["from"] == (TODAY - timedelta(days=29)).isoformat()
    assert body["to"] == TODAY.isoformat()
    assert body["as_of"] is not None
    assert body["total"] == {
        "incidents": 20,
        "plainte": 6,
        "share": 0.3,
        "previous_share": 0.5,
        "trend_pts": -20.0,
    }
    categories = by(body["by_category"], "category")
    assert categories["BIE-TAG"] == {
        "category": "BIE-TAG",
        "incidents": 6,
        "plainte": 1,
        "share": 0.1667,
        "previous_share": 0.5,
        "trend_pts": -33.3,
    }
    assert categories["PER-VER"]["share"] == 0.75
    assert categories["PER-VER"]["previous_share"] is None  # none the period before
    assert categories["PER-VER"]["trend_pts"] is None
    assert categories["ENV-DEP"]["incidents"] == 0
    assert categories["ENV-DEP"]["share"] is None
    assert sum(c["incidents"] for c in body["by_category"]) == 20
    targets = by(body["by_target"], "target")
    assert {t: v["incidents"] for t, v in targets.items()} == {
        "patrimoine": 6,
        "personnel": 4,
        "prestataire": 10,
        "locataire": 0,
        "autre": 0,
    }
    # The counters do not cross target × complaint: a target's plaintes are unknown.
    assert all(t["plainte"] is None and t["share"] is None for t in body["by_target"])


async def test_a_landlord_key_sees_its_own_gap_and_a_partner_key_none(
    reporting: Reporting,
) -> None:
    await seed(reporting)
    hlm_b = await reporting.key("landlord", landlord_id="hlm-b")
    body = (await reporting.get(f"/v1/territories/{LANDY}/complaint-gap", hlm_b)).json()
    assert body["landlord_id"] == "hlm-b"
    assert body["total"]["incidents"] == 10
    assert body["total"]["plainte"] == 2
    assert body["total"]["previous_share"] is None
    partner = await reporting.key("partner", territory_ids=["COM-93066"])
    refused = await reporting.get(f"/v1/territories/{LANDY}/complaint-gap", partner)
    assert refused.status_code == 403
    unknown = await reporting.get("/v1/territories/QN00000X/complaint-gap")
    assert unknown.status_code == 404


async def test_the_shared_gap_hides_small_counts_and_derives_shares_from_published_ones(
    reporting: Reporting,
) -> None:
    await seed(reporting)
    partner = await reporting.key("partner", territory_ids=["COM-93066"])
    path = "/v1/shared/territories/COM-93066/complaint-gap"
    shared = (await reporting.get(path, partner)).json()
    exact = (await reporting.get("/v1/territories/COM-93066/complaint-gap")).json()
    assert shared["landlord_id"] is None
    assert shared["suppressed"] is True
    lines = [("total", shared["total"], exact["total"])]
    lines += [
        (f"category.{c['category']}", c, by(exact["by_category"], "category")[c["category"]])
        for c in shared["by_category"]
    ]
    lines += [
        (f"target.{t['target']}", t, by(exact["by_target"], "target")[t["target"]])
        for t in shared["by_target"]
    ]
    shown: dict[str, int] = {}
    for name, line, truth in lines:
        for count in ("incidents", "plainte"):
            if line[count] is None:
                continue
            # Shown counts are at least the threshold and at most rounded (publish's choice).
            assert line[count] >= 5, (name, count)
            assert abs(line[count] - truth[count]) <= 2, (name, count)
            shown[f"{name}.{count}"] = truth[count]
        expected = (
            round(line["plainte"] / line["incidents"], 4)
            if line["plainte"] is not None and line["incidents"]
            else None
        )
        assert line["share"] == expected, name
    # Small cells are hidden: PER-VER's 4 incidents, BIE-TAG's single plainte.
    categories = by(shared["by_category"], "category")
    assert categories["PER-VER"]["incidents"] is None
    assert categories["BIE-TAG"]["plainte"] is None
    assert categories["BIE-TAG"]["share"] is None
    # No hidden count can be solved for from the shown ones and the relations.
    current = counts_of(exact)
    every = cells(current)
    hidden = set(every) - set(shown)
    recovered = recoverable(every, hidden, relations(current))
    derivable = {
        f"{row}.sans_plainte"
        for row in ["total", *(f"category.{c}" for c in current.incidents)]
        if f"{row}.incidents" in shown and f"{row}.plainte" in shown
    }
    assert recovered <= derivable


async def folded_in(reporting: Reporting) -> None:
    """Wait until the roll-ups' refresh has taken every dirty day."""
    for _ in range(400):
        if not await reporting.db.fetchval("SELECT count(*) FROM reporting_dirty_days"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the refresh did not fold the dirty days in")


def counts_of(body: dict[str, Any]) -> GapCounts:
    """The exact counts of an unsuppressed answer, as complaint_gap lays them out."""
    return GapCounts(
        incidents={c["category"]: c["incidents"] for c in body["by_category"]},
        plainte={c["category"]: c["plainte"] for c in body["by_category"]},
        targets={t["target"]: t["incidents"] for t in body["by_target"]},
    )


async def test_the_shared_gap_follows_the_shared_access_rules(reporting: Reporting) -> None:
    await seed(reporting)
    partner = await reporting.key("partner", territory_ids=["COM-93066"])
    landlord = await reporting.key("landlord", landlord_id="hlm-a")
    inside = await reporting.get(f"/v1/shared/territories/{LANDY}/complaint-gap", partner)
    assert inside.status_code == 200
    elsewhere = await reporting.get(f"/v1/shared/territories/{BOURG}/complaint-gap", partner)
    assert elsewhere.status_code == 403
    own_landlord = await reporting.get(f"/v1/shared/territories/{LANDY}/complaint-gap", landlord)
    assert own_landlord.status_code == 403
    admin = await reporting.get(f"/v1/shared/territories/{BOURG}/complaint-gap")
    assert admin.status_code == 200
    unknown = await reporting.get("/v1/shared/territories/QN00000X/complaint-gap", partner)
    assert unknown.status_code == 404


async def test_departements_and_regions_ranked_by_gap(reporting: Reporting) -> None:
    # Read from reporting_daily once built and folded in (the landlord's from the counters).
    assert await rebuilt_after(reporting.db, None)
    await seed(reporting)
    await folded_in(reporting)
    departements = (await reporting.get("/v1/complaint-gap", group_by="departement")).json()
    groups = departements["groups"]
    # 93: 57 incidents, 31 plaintes (gap 26); Ain: 9 and 9 (gap 0).
    assert [(g["key"], g["gap"]) for g in groups] == [("DEP-93", 26), ("DEP-01", 0)]
    assert groups[0]["label"] == "Seine-Saint-Denis"
    assert groups[0]["previous"]["incidents"] == 36
    regions = (await reporting.get("/v1/complaint-gap", group_by="region")).json()
    assert [(g["key"], g["incidents"]) for g in regions["groups"]] == [
        ("REG-11", 57),
        ("REG-84", 9),
    ]
    inside_93 = (
        await reporting.get("/v1/complaint-gap", group_by="departement", territory_id="DEP-93")
    ).json()
    assert [g["key"] for g in inside_93["groups"]] == ["DEP-93"]
    hlm_c = await reporting.key("landlord", landlord_id="hlm-c")
    own = (await reporting.get("/v1/complaint-gap", hlm_c, group_by="departement")).json()
    assert [(g["key"], g["incidents"]) for g in own["groups"]] == [("DEP-01", 9)]
