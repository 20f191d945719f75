"""The §8 endpoints against the real database: figures, roll-ups, periods, trends, rankings,
the complaint gap and the CSV export, all computed from counter rows."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from tests.reporting.conftest import BOURG, LANDY, SEMARD, Count, Reporting
from vigie_reporting.periods import today_in_paris

pytestmark = pytest.mark.connected

TODAY = today_in_paris()
D = TODAY - timedelta(days=3)


async def seed(reporting: Reporting) -> None:
    """Two landlords in Saint-Denis, one in the Ain; a previous period too."""
    await reporting.add_counts(
        [
            Count(LANDY, D, "BIE-TAG", "hlm-a", 6, plainte=1, cost_eur=120.5),
            Count(LANDY, D, "PER-VER", "hlm-a", 4, plainte=3, severity=3, target="personnel"),
            Count(LANDY, D, "TRA-DEA", "hlm-b", 10, plainte=2, target="prestataire"),
            Count(SEMARD, TODAY, "BIE-TAG", "hlm-a", 7),
            Count(BOURG, D, "ENV-DEP", "hlm-c", 9, plainte=9),
            # The previous 30-day period.
            Count(LANDY, TODAY - timedelta(days=40), "BIE-TAG", "hlm-a", 16, plainte=8),
            # Outside both periods.
            Count(LANDY, TODAY - timedelta(days=70), "BIE-TAG", "hlm-a", 100),
        ],
    )


async def test_qpv_summary_has_every_figure(reporting: Reporting) -> None:
    await seed(reporting)
    body = (await reporting.get(f"/v1/territories/{LANDY}/summary")).json()
    assert body["territory_id"] == LANDY
    assert body["from"] == (TODAY - timedelta(days=29)).isoformat()
    assert body["to"] == TODAY.isoformat()
    assert body["total"] == 20
    assert body["by_category"]["BIE-TAG"] == 6
    assert body["by_category"]["TRA-DEA"] == 10
    assert body["by_category"]["ENV-DEP"] == 0
    assert body["by_domain"] == {
        "cadre_de_vie": 6,
        "qualite_service": 0,
        "vivre_ensemble": 0,
        "prevention_insecurite": 14,
    }
    assert body["rate_per_1000_dwellings"] == round(20 * 1000 / 1040, 2)
    assert body["previous_total"] == 16
    assert body["trend_pct"] == 25.0
    assert body["complaint_rate"] == 0.3
    assert body["staff_targeted"] == 14
    assert body["by_severity"] == {"1": 0, "2": 16, "3": 4, "4": 0}
    assert body["cost_eur"] == 120.5
    assert body["open_alerts"] == []
    assert body["as_of"] is not None


@pytest.mark.parametrize(
    ("territory", "total"),
    [("COM-93066", 27), ("DEP-93", 27), ("REG-11", 27), ("REG-84", 9), ("FR", 36)],
)
async def test_summaries_roll_up_every_level(
    reporting: Reporting, territory: str, total: int
) -> None:
    await seed(reporting)
    response = await reporting.get(f"/v1/territories/{territory}/summary")
    assert response.status_code == 200
    assert response.json()["total"] == total


async def test_a_qpv_over_two_communes_counts_once_above_them(reporting: Reporting) -> None:
    # Franc Moisin spans four communes of the 93: it counts once in the département.
    await reporting.add_counts([Count("QN09328M", D, "BIE-TAG", "hlm-a", 8)])
    for territory, total in [("COM-93001", 8), ("COM-93066", 8), ("DEP-93", 8), ("FR", 8)]:
        body = (await reporting.get(f"/v1/territories/{territory}/summary")).json()
        assert body["total"] == total, territory


async def test_explicit_range_is_inclusive(reporting: Reporting) -> None:
    await seed(reporting)
    day = TODAY - timedelta(days=40)
    body = (
        await reporting.get(
            f"/v1/territories/{LANDY}/summary", **{"from": day.isoformat(), "to": day.isoformat()}
        )
    ).json()
    assert body["total"] == 16
    assert body["previous_from"] == body["previous_to"] == (day - timedelta(days=1)).isoformat()


async def test_bad_requests_answer_in_the_contract_shape(reporting: Reporting) -> None:
    unknown = await reporting.get("/v1/territories/QN99999X/summary")
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "not_found"
    backwards = await reporting.get(
        f"/v1/territories/{LANDY}/summary", **{"from": "2026-02-01", "to": "2026-01-01"}
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "from"
    not_a_date = await reporting.get(f"/v1/territories/{LANDY}/summary", **{"from": "hier"})
    assert not_a_date.status_code == 422
    assert (await reporting.client.get(f"/v1/territories/{LANDY}/summary")).status_code == 401
    assert (await reporting.get("/v1/rankings", token="vig_nope")).status_code == 401


async def test_timeseries_fills_empty_buckets(reporting: Reporting) -> None:
    await seed(reporting)
    start = TODAY - timedelta(days=6)
    body = (
        await reporting.get(
            "/v1/territories/DEP-93/timeseries",
            bucket="day",
            **{"from": start.isoformat(), "to": TODAY.isoformat()},
        )
    ).json()
    assert [p["bucket"] for p in body["points"]] == [
        (start + timedelta(days=i)).isoformat() for i in range(7)
    ]
    by_day = {p["bucket"]: p["incidents"] for p in body["points"]}
    assert by_day[D.isoformat()] == 20
    assert by_day[TODAY.isoformat()] == 7
    assert body["total"] == 27
    filtered = (
        await reporting.get("/v1/territories/DEP-93/timeseries", domain="prevention_insecurite")
    ).json()
    assert filtered["total"] == 14
    monthly = (
        await reporting.get(
            "/v1/territories/FR/timeseries",
            bucket="month",
            **{"from": (TODAY - timedelta(days=80)).isoformat(), "to": TODAY.isoformat()},
        )
    ).json()
    assert all(p["bucket"].endswith("-01") for p in monthly["points"])
    assert monthly["total"] == 36 + 16 + 100
    bad = await reporting.get("/v1/territories/FR/timeseries", category="NOPE")
    assert bad.status_code == 422


async def test_rankings_by_count_and_rate(reporting: Reporting) -> None:
    await seed(reporting)
    by_count = (await reporting.get("/v1/rankings", limit=3)).json()
    assert [i["territory_id"] for i in by_count["items"]] == [LANDY, BOURG, SEMARD]
    assert [i["count"] for i in by_count["items"]] == [20, 9, 7]
    by_rate = (
        await reporting.get("/v1/rankings", metric="rate_per_1000_dwellings", within="DEP-93")
    ).json()
    first, second = by_rate["items"][:2]
    assert first["territory_id"] == LANDY  # 20 / 1,040 beats 7 / 7,828
    assert second["territory_id"] == SEMARD
    assert all(i["departement_code"] == "93" for i in by_rate["items"])
    everything = (await reporting.get("/v1/rankings", limit=5000)).json()
    assert len(everything["items"]) == 1518
    regions = (await reporting.get("/v1/rankings", kind="region", limit=2)).json()
    assert [(i["territory_id"], i["count"]) for i in regions["items"]] == [
        ("REG-11", 27),
        ("REG-84", 9),
    ]
    domain = (await reporting.get("/v1/rankings", domain="cadre_de_vie", limit=1)).json()
    assert domain["items"][0]["territory_id"] == BOURG


async def test_complaint_gap_by_each_grouping(reporting: Reporting) -> None:
    await seed(reporting)
    by_category = (await reporting.get("/v1/complaint-gap", group_by="category")).json()
    groups = {g["key"]: g for g in by_category["groups"]}
    assert groups["TRA-DEA"]["incidents"] == 10
    assert groups["TRA-DEA"]["plainte"] == 2
    assert groups["TRA-DEA"]["gap"] == 8
    assert groups["BIE-TAG"]["label"] == "tags, graffitis"
    assert groups["BIE-TAG"]["previous"] == {
        "incidents": 16,
        "plainte": 8,
        "gap": 8,
        "complaint_rate": 0.5,
    }
    # BIE-TAG: 1 plainte out of 13 now, against half before.
    assert groups["BIE-TAG"]["complaint_rate_change_pts"] == round((1 / 13 - 0.5) * 100, 1)
    assert by_category["total"]["incidents"] == 36
    assert by_category["total"]["plainte"] == 15
    by_landlord = (
        await reporting.get("/v1/complaint-gap", group_by="landlord", territory_id="DEP-93")
    ).json()
    assert {g["key"]: g["gap"] for g in by_landlord["groups"]} == {"hlm-a": 13, "hlm-b": 8}
    by_territory = (await reporting.get("/v1/complaint-gap", group_by="territory")).json()
    names = {g["key"]: g["label"] for g in by_territory["groups"]}
    assert names[SEMARD] == "Grand Centre - Sémard"


async def test_csv_export_has_headers_and_utf8_names(reporting: Reporting) -> None:
    await seed(reporting)
    response = await reporting.get("/v1/exports/counts.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert len(rows) == 1518
    semard = next(r for r in rows if r["territory_id"] == SEMARD)
    assert semard["name"] == "Grand Centre - Sémard"
    assert semard["total"] == "7"
    assert semard["BIE-TAG"] == "7"
    landy = next(r for r in rows if r["territory_id"] == LANDY)
    assert (landy["total"], landy["plainte"], landy["TRA-DEA"]) == ("20", "6", "10")
    regions = await reporting.get("/v1/exports/counts.csv", kind="region")
    region_rows = list(csv.DictReader(io.StringIO(regions.text)))
    idf = next(r for r in region_rows if r["territory_id"] == "REG-11")
    assert (idf["name"], idf["total"]) == ("Île-de-France", "27")


async def test_territories_and_nomenclature(reporting: Reporting) -> None:
    found = (await reporting.get("/v1/territories", q="sémard")).json()["items"]
    assert [t["territory_id"] for t in found] == [SEMARD]
    assert found[0]["social_dwellings"] == 7828
    qpvs_93 = (await reporting.get("/v1/territories", kind="qpv", departement="93")).json()
    assert qpvs_93["count"] > 50
    assert {t["departement_code"] for t in qpvs_93["items"]} == {"93"}
    inside = (await reporting.get("/v1/territories", kind="qpv", within="COM-93066")).json()
    assert LANDY in {t["territory_id"] for t in inside["items"]}
    nomenclature = (await reporting.get("/v1/nomenclature")).json()
    assert len(nomenclature["categories"]) == 18
    assert len(nomenclature["domains"]) == 4


async def test_as_of_moves_when_the_counters_change(reporting: Reporting) -> None:
    await seed(reporting)
    first = (await reporting.get(f"/v1/territories/{LANDY}/summary")).json()["as_of"]
    await reporting.db.execute("UPDATE incident_counters SET incidents = incidents")
    await reporting.hear([(LANDY, D)])
    second = (await reporting.get(f"/v1/territories/{LANDY}/summary")).json()["as_of"]
    assert second > first
