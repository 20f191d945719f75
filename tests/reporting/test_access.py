"""Who sees what (docs/contract.md §8): a landlord key sees its own landlord's figures on every
endpoint; a partner key reads only the shared view of its territories."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest

from tests.reporting.conftest import LANDY, SEMARD, Count, Reporting
from vigie_reporting.periods import today_in_paris

pytestmark = pytest.mark.connected

D = today_in_paris() - timedelta(days=2)
MINE, THEIRS = "hlm-mine", "hlm-theirs"

# Every figures endpoint, with the parameters that exercise it.
FIGURES_ENDPOINTS: list[tuple[str, dict[str, Any]]] = [
    ("/v1/territories", {}),
    (f"/v1/territories/{LANDY}/summary", {}),
    ("/v1/territories/FR/summary", {}),
    (f"/v1/territories/{LANDY}/timeseries", {}),
    ("/v1/rankings", {}),
    ("/v1/complaint-gap", {"group_by": "category"}),
    ("/v1/complaint-gap", {"group_by": "territory"}),
    ("/v1/complaint-gap", {"group_by": "landlord"}),
    ("/v1/exports/counts.csv", {}),
]


async def seed(reporting: Reporting) -> None:
    """Mine: 7 incidents (2 plaintes). Theirs: 50 (40 plaintes), in the same QPVs."""
    await reporting.add_counts(
        [
            Count(LANDY, D, "BIE-TAG", MINE, 7, plainte=2),
            Count(LANDY, D, "BIE-TAG", THEIRS, 30, plainte=30),
            Count(SEMARD, D, "TRA-DEA", THEIRS, 20, plainte=10),
        ],
    )


async def test_a_landlord_key_sees_only_its_own_figures_everywhere(reporting: Reporting) -> None:
    await seed(reporting)
    token = await reporting.key("landlord", landlord_id=MINE)
    for path, params in FIGURES_ENDPOINTS:
        response = await reporting.get(path, token, **params)
        assert response.status_code == 200, (path, response.text)
    summary = (await reporting.get(f"/v1/territories/{LANDY}/summary", token)).json()
    assert (summary["total"], summary["by_complaint"]["plainte"]) == (7, 2)
    assert summary["landlord_id"] == MINE
    national = (await reporting.get("/v1/territories/FR/summary", token)).json()
    assert national["total"] == 7
    series = (await reporting.get(f"/v1/territories/{LANDY}/timeseries", token)).json()
    assert series["total"] == 7
    ranking = (await reporting.get("/v1/rankings", token, limit=2)).json()["items"]
    assert [(i["territory_id"], i["count"]) for i in ranking] == [(LANDY, 7), (SEMARD, 0)] or (
        ranking[0]["territory_id"] == LANDY
        and ranking[0]["count"] == 7
        and ranking[1]["count"] == 0
    )
    for group_by in ("category", "territory", "landlord"):
        gap = (await reporting.get("/v1/complaint-gap", token, group_by=group_by)).json()
        assert gap["total"]["incidents"] == 7, group_by
        assert gap["total"]["plainte"] == 2, group_by
    by_landlord = (await reporting.get("/v1/complaint-gap", token, group_by="landlord")).json()
    assert [g["key"] for g in by_landlord["groups"]] == [MINE]
    exported = (await reporting.get("/v1/exports/counts.csv", token)).text
    rows = {r["territory_id"]: r for r in csv.DictReader(io.StringIO(exported))}
    assert (rows[LANDY]["total"], rows[SEMARD]["total"]) == ("7", "0")
    shared = await reporting.get(f"/v1/shared/territories/{LANDY}/summary", token)
    assert shared.status_code == 403


async def test_the_admin_sees_every_landlord(reporting: Reporting) -> None:
    await seed(reporting)
    summary = (await reporting.get(f"/v1/territories/{LANDY}/summary")).json()
    assert summary["total"] == 37


async def test_a_partner_key_reads_only_the_shared_view_of_its_territories(
    reporting: Reporting,
) -> None:
    await seed(reporting)
    token = await reporting.key("partner", territory_ids=["COM-93066"])
    for path, params in FIGURES_ENDPOINTS:
        response = await reporting.get(path, token, **params)
        assert response.status_code == 403, path
        assert response.json()["error"] == "forbidden"
    own = await reporting.get("/v1/shared/territories/COM-93066/summary", token)
    assert own.status_code == 200
    assert own.json()["total"] == 55  # 57, rounded to 5 as every shared count
    inside = await reporting.get(f"/v1/shared/territories/{LANDY}/summary", token)
    assert inside.status_code == 200
    above = await reporting.get("/v1/shared/territories/DEP-93/summary", token)
    assert above.status_code == 403
    elsewhere = await reporting.get("/v1/shared/territories/QN00101M/summary", token)
    assert elsewhere.status_code == 403
    assert (await reporting.get("/v1/nomenclature", token)).status_code == 200


async def test_manager_keys_read_like_their_landlord_or_their_territories(
    reporting: Reporting,
) -> None:
    await seed(reporting)
    landlord_manager = await reporting.key("manager", landlord_id=MINE)
    summary = await reporting.get(f"/v1/territories/{LANDY}/summary", landlord_manager)
    assert summary.json()["total"] == 7
    area_manager = await reporting.key("manager", territory_ids=[LANDY])
    assert (await reporting.get("/v1/rankings", area_manager)).status_code == 403
    shared = await reporting.get(f"/v1/shared/territories/{LANDY}/summary", area_manager)
    assert shared.status_code == 200


async def test_a_revoked_key_stops_at_once(reporting: Reporting) -> None:
    from vigie.platform.auth import create_key, revoke_key

    key_id, token = await create_key(reporting.db, role="landlord", landlord_id=MINE)
    assert (await reporting.get("/v1/rankings", token)).status_code == 200
    await revoke_key(reporting.db, key_id)
    for _ in range(50):
        if (await reporting.get("/v1/rankings", token)).status_code == 401:
            break
        import asyncio

        await asyncio.sleep(0.05)
    assert (await reporting.get("/v1/rankings", token)).status_code == 401
