"""The partner dashboard's shared endpoints against the real database: the monthly series and
the ranking of the key's territories (also the map's data), suppressed as the shared summary is,
with its access rules; and the security headers on the page, a static file and a JSON route."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.reporting.conftest import BOURG, LANDY, SEMARD, Count, Reporting
from vigie.platform.security_headers import DASHBOARD_CSP
from vigie_reporting.periods import today_in_paris

pytestmark = pytest.mark.connected

TODAY = today_in_paris()
D = TODAY - timedelta(days=2)
EARLIER = TODAY - timedelta(days=45)
PERIOD = {"from": (TODAY - timedelta(days=29)).isoformat(), "to": TODAY.isoformat()}
SAINT_DENIS = "COM-93066"  # 8 QPVs, LANDY and SEMARD among them


async def seed(reporting: Reporting) -> None:
    """Saint-Denis: two busy QPVs, six quiet ones, 5 incidents outside any QPV; the Ain.
    Shown counts are multiples of 5, as publish() rounds them."""
    await reporting.add_counts(
        [
            Count(LANDY, D, "BIE-TAG", "hlm-a", 12, plainte=1),
            Count(LANDY, D, "PER-VER", "hlm-b", 3, plainte=2, target="personnel"),
            Count(SEMARD, D, "TRA-DEA", "hlm-a", 30, plainte=4),
            Count(SEMARD, EARLIER, "BIE-TAG", "hlm-a", 8),
            Count(SAINT_DENIS, D, "ENV-DEP", "hlm-c", 5),
            Count(BOURG, D, "ENV-DEP", "hlm-c", 9),
        ]
    )


async def test_the_ranking_of_a_partner_territories_is_suppressed_and_partitioned(
    reporting: Reporting,
) -> None:
    await seed(reporting)
    partner = await reporting.key("partner", territory_ids=[SAINT_DENIS])
    response = await reporting.get("/v1/shared/rankings", partner, **PERIOD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["within"] == [SAINT_DENIS]
    [territory] = body["territories"]
    assert (territory["territory_id"], territory["count"], territory["qpv_count"]) == (
        SAINT_DENIS,
        50,
        8,
    )
    # 15 + 30 + 5 = 50 would pin the six quiet QPVs to 0: the outside cell is hidden too.
    assert territory["outside_qpv"] is None
    items = {i["territory_id"]: i for i in body["items"]}
    assert len(items) == 8
    assert items[LANDY]["count"] == 15
    assert items[LANDY]["rate_per_1000_dwellings"] == round(15 * 1000 / 1040, 2)
    assert items[SEMARD]["count"] == 30
    quiet = [i for i in body["items"] if i["territory_id"] not in (LANDY, SEMARD)]
    assert all(i["count"] is None and i["rate_per_1000_dwellings"] is None for i in quiet)
    assert [i["territory_id"] for i in body["items"][:2]] == [LANDY, SEMARD]  # by rate
    assert BOURG not in response.text
    assert body["suppressed"] is True


async def test_the_monthly_series_of_a_partner_hides_small_months(reporting: Reporting) -> None:
    await seed(reporting)
    partner = await reporting.key("partner", territory_ids=[SAINT_DENIS])
    start = (EARLIER - timedelta(days=70)).replace(day=1)
    response = await reporting.get(
        f"/v1/shared/territories/{SAINT_DENIS}/timeseries",
        partner,
        **{"from": start.isoformat(), "to": TODAY.isoformat()},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["bucket"] == "month"
    assert body["landlord_id"] is None
    points = {p["bucket"]: p for p in body["points"]}
    assert all(day.endswith("-01") for day in points)
    assert points[D.replace(day=1).isoformat()]["incidents"] == 50
    # Empty months are suppressed, never shown as 0.
    assert points[start.isoformat()]["incidents"] is None
    assert 0 not in [p["incidents"] for p in body["points"]]
    shown = [p["incidents"] for p in body["points"] if p["incidents"] is not None]
    assert body["total"] is None or body["total"] >= sum(shown)
    qpv = await reporting.get(f"/v1/shared/territories/{LANDY}/timeseries", partner, **PERIOD)
    assert qpv.status_code == 200


async def test_the_shared_endpoints_keep_the_shared_summary_access_rules(
    reporting: Reporting,
) -> None:
    await seed(reporting)
    partner = await reporting.key("partner", territory_ids=[SAINT_DENIS])
    landlord = await reporting.key("landlord", landlord_id="hlm-a")
    series = f"/v1/shared/territories/{BOURG}/timeseries"
    assert (await reporting.get(series, partner)).status_code == 403
    unknown = "/v1/shared/territories/QN99999X/timeseries"
    assert (await reporting.get(unknown, partner)).status_code == 404
    assert (
        await reporting.get(f"/v1/shared/territories/{LANDY}/timeseries", landlord)
    ).status_code == 403
    outside = await reporting.get("/v1/shared/rankings", partner, within="DEP-93")
    assert outside.status_code == 403
    assert (await reporting.get("/v1/shared/rankings", partner, within="NOPE")).status_code == 404
    assert (await reporting.get("/v1/shared/rankings", landlord)).status_code == 403
    # A key that covers every territory names the ones to rank.
    assert (await reporting.get("/v1/shared/rankings")).status_code == 422
    admin = await reporting.get("/v1/shared/rankings", within=LANDY, **PERIOD)
    assert [i["count"] for i in admin.json()["items"]] == [15]
    manager = await reporting.key("manager", territory_ids=[SAINT_DENIS])
    assert (await reporting.get("/v1/shared/rankings", manager, **PERIOD)).status_code == 200


async def test_the_page_a_static_file_and_a_json_route_send_the_security_headers(
    reporting: Reporting,
) -> None:
    for path in ("/", "/static/app.js", "/static/partner.js", "/v1/me", "/v1/nope"):
        response = await reporting.get(path)
        assert response.status_code in (200, 404), path
        assert response.headers["content-security-policy"] == DASHBOARD_CSP, path
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "no-referrer", path
    page = (await reporting.get("/")).text
    assert "<style" not in page
    assert "style=" not in page
    assert " on" + "click=" not in page
    assert "<script>" not in page  # scripts only as files of the service
